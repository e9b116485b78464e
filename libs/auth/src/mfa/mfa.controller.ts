import { Body, Controller, Delete, HttpCode, HttpStatus, Post, Res, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { RequireRecentSignIn } from '../changes/recent-sign-in.guard';
import { ApiResponseCodes } from '../decorators/api-errors.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { Public } from '../decorators/public.decorator';
import { RequestClient } from '../decorators/request-client.decorator';
import { TokenResponseDto } from '../dto/token-response.dto';
import { BindsSession, DpopProofGuard } from '../dpop/dpop-proof.guard';
import { RefreshTokenDelivery, RefreshTokenDeliveryOf } from '../dpop/native-client';
import { SameOriginGuard } from '../guards/same-origin.guard';
import { SignInResponse } from '../sign-in/sign-in-response';
import { RateLimit } from '../throttling/rate-limit.decorator';
import { ClientInfo } from '../tokens/token.service';
import { AuthUser } from '../tokens/token-types';
import { RecoveryCodesDto, SecondFactorDto, TotpCodeDto, TotpSetupDto, VerifyMfaDto } from './dto/mfa.dto';
import { MfaService } from './mfa.service';

@ApiTags('mfa')
@Controller('auth/mfa')
export class MfaController {
  constructor(
    private readonly mfa: MfaService,
    private readonly response: SignInResponse,
  ) {}

  @Post('totp/setup')
  @HttpCode(HttpStatus.OK)
  @RequireRecentSignIn()
  @ApiBearerAuth()
  @ApiOkResponse({ type: TotpSetupDto, description: 'A new secret, pending until a code confirms it' })
  @ApiConflictResponse({ description: 'The second factor is already on' })
  @ApiForbiddenResponse({ description: 'The email address is not verified' })
  @ApiUnauthorizedResponse({ description: 'No valid access token, or a sign-in older than REAUTH_MAX_AGE' })
  @ApiOperation({ summary: 'Begin setting up an authenticator app' })
  async setup(
    @CurrentUser() caller: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TotpSetupDto> {
    reply.header('Cache-Control', 'no-store');
    return this.mfa.beginTotp(caller);
  }

  @Post('totp/confirm')
  @HttpCode(HttpStatus.OK)
  @RequireRecentSignIn()
  @ApiBearerAuth()
  @ApiOkResponse({
    type: RecoveryCodesDto,
    description:
      'The second factor is on; every other session is ended; the recovery codes are shown this once',
  })
  @ApiBadRequestResponse({ description: 'Wrong code, or nothing pending' })
  @ApiForbiddenResponse({ description: 'The email address is not verified' })
  @ApiUnauthorizedResponse({ description: 'No valid access token, or a sign-in older than REAUTH_MAX_AGE' })
  @ApiOperation({ summary: 'Turn the second factor on with a first code' })
  async confirm(
    @CurrentUser() caller: AuthUser,
    @Body() body: TotpCodeDto,
    @RequestClient() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecoveryCodesDto> {
    reply.header('Cache-Control', 'no-store');
    return { recoveryCodes: await this.mfa.confirmTotp(caller, body.code, client) };
  }

  @Delete('totp')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'The second factor is off and the recovery codes are gone' })
  @ApiBadRequestResponse({ description: 'Wrong code, or the second factor is not on' })
  @ApiResponseCodes(401, 409, 429)
  @ApiOperation({ summary: 'Turn the second factor off' })
  async disable(
    @CurrentUser() caller: AuthUser,
    @Body() body: SecondFactorDto,
    @RequestClient() client: ClientInfo,
  ): Promise<void> {
    await this.mfa.disable(caller, body, client);
  }

  @Post('recovery-codes')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @ApiOkResponse({ type: RecoveryCodesDto, description: 'Ten new codes; the old ones stop working' })
  @ApiBadRequestResponse({ description: 'Wrong code, or the second factor is not on' })
  @ApiResponseCodes(401, 409, 429)
  @ApiOperation({ summary: 'Replace the recovery codes' })
  async replaceRecoveryCodes(
    @CurrentUser() caller: AuthUser,
    @Body() body: SecondFactorDto,
    @RequestClient() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecoveryCodesDto> {
    reply.header('Cache-Control', 'no-store');
    return { recoveryCodes: await this.mfa.replaceRecoveryCodes(caller, body, client) };
  }

  @Public()
  @Post('verify')
  @HttpCode(HttpStatus.OK)
  @RateLimit('login')
  // It starts a session: a cross-site page must not sign a browser in with its own challenge.
  @BindsSession()
  @UseGuards(SameOriginGuard, DpopProofGuard)
  @ApiOkResponse({ type: TokenResponseDto, description: 'Exactly as login, the refresh cookie included' })
  @ApiUnauthorizedResponse({ description: 'Wrong code, or a dead mfaToken' })
  @ApiForbiddenResponse({ description: 'Cross-site request' })
  @ApiResponseCodes(400, 429)
  @ApiOperation({ summary: "Answer a login's second-factor challenge" })
  async verify(
    @Body() body: VerifyMfaDto,
    @RequestClient() client: ClientInfo,
    @RefreshTokenDeliveryOf() delivery: RefreshTokenDelivery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    const outcome = await this.mfa.verify(body.mfaToken, body, client);
    return this.response.send(reply, outcome, delivery) as TokenResponseDto;
  }
}
