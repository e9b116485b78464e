import { Body, Controller, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ApiResponseCodes } from '../decorators/api-errors.decorator';
import { Public } from '../decorators/public.decorator';
import { ProvenSignIn } from '../decorators/request-properties';
import { RequestClient } from '../decorators/request-client.decorator';
import { RefreshTokenDelivery, RefreshTokenDeliveryOf } from '../dpop/native-client';
import { MfaRequiredDto, TokenResponseDto } from '../dto/token-response.dto';
import { ACCEPTED, AcceptedDto } from '../recovery/dto/recovery.dto';
import { SignInResponse } from '../sign-in/sign-in-response';
import { SignInProof, SignInService } from '../sign-in/sign-in.service';
import { WayInRoute } from '../sign-in/way-in-route.decorator';
import { RateLimit } from '../throttling/rate-limit.decorator';
import { ClientInfo } from '../tokens/token.service';
import { EmailCodeRequestDto, EmailCodeVerifyDto } from './dto/email-code.dto';
import { EmailCodeSignIn } from './email-code-sign-in';
import { EMAIL_CODE_STRATEGY } from './email-code.strategy';

@ApiTags('auth')
@Controller('auth/email-code')
export class EmailCodeController {
  constructor(
    private readonly codes: EmailCodeSignIn,
    private readonly signIns: SignInService,
    private readonly response: SignInResponse,
  ) {}

  @Public()
  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  // The limits of password/forgot: per client address and per address mailed.
  @RateLimit('recovery')
  @ApiAcceptedResponse({
    type: AcceptedDto,
    description:
      'The same answer, in the same time, whether or not the address is an account’s; a code is mailed only when it is (or EMAIL_CODE_SIGNUP is on)',
  })
  @ApiResponseCodes(400, 429)
  @ApiOperation({ summary: 'Mail a sign-in code', description: 'A new code ends the older one' })
  request(@Body() body: EmailCodeRequestDto, @RequestClient() client: ClientInfo): AcceptedDto {
    // Answered before any work: a known and an unknown address must take the same time.
    this.codes.sendLater(body.email, client);
    return ACCEPTED;
  }

  @Post('verify')
  @WayInRoute(EMAIL_CODE_STRATEGY, EmailCodeVerifyDto, {
    summary: 'Sign in with the code from the mail',
    unauthorized: 'A wrong, used, expired or replaced code (one message for all); the fifth try ends a code',
    ok: 'amr ["otp"]; the address becomes verified',
  })
  async verify(
    @ProvenSignIn() proof: SignInProof,
    @RequestClient() client: ClientInfo,
    @RefreshTokenDeliveryOf() delivery: RefreshTokenDelivery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto | MfaRequiredDto> {
    return this.response.send(reply, await this.signIns.signIn(proof, client), delivery);
  }
}
