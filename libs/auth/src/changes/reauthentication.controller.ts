import { Body, Controller, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ApiResponseCodes, ErrorDto } from '../decorators/api-errors.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { RequestClient } from '../decorators/request-client.decorator';
import { TokenResponseDto } from '../dto/token-response.dto';
import { PasskeyRequestOptionsDto } from '../passkeys/dto/passkey.dto';
import { PasskeysService } from '../passkeys/passkeys.service';
import { RateLimit } from '../throttling/rate-limit.decorator';
import { ClientInfo } from '../tokens/token.service';
import { AuthUser } from '../tokens/token-types';
import { ReauthenticateDto } from './dto/reauthenticate.dto';
import { ReauthenticationService } from './reauthentication.service';

/** Step-up (RFC 9470): a signed-in caller proves again who they are, for routes that need a recent sign-in. */
@ApiTags('auth')
@ApiBearerAuth()
@Controller('auth/reauthenticate')
export class ReauthenticationController {
  constructor(
    private readonly reauthentication: ReauthenticationService,
    private readonly passkeys: PasskeysService,
  ) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  @RateLimit('login')
  @ApiOkResponse({
    type: TokenResponseDto,
    description:
      'An access token for the same session with a fresh auth_time and the proof’s methods added to amr; the session keeps them',
  })
  @ApiUnauthorizedResponse({ type: ErrorDto, description: 'No valid access token, or a wrong proof' })
  @ApiResponseCodes(400, 429)
  @ApiOperation({ summary: 'Prove again who you are: password, code, recovery code or passkey' })
  async reauthenticate(
    @CurrentUser() caller: AuthUser,
    @Body() body: ReauthenticateDto,
    @RequestClient() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    reply.header('Cache-Control', 'no-store');
    return this.reauthentication.reauthenticate(caller, body, client);
  }

  @Post('passkey-options')
  @HttpCode(HttpStatus.OK)
  @RateLimit('login')
  @ApiOkResponse({
    type: PasskeyRequestOptionsDto,
    description: 'For PublicKeyCredential.parseRequestOptionsFromJSON: the caller’s own passkeys',
  })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'The account has no passkey, or passkeys are off' })
  @ApiResponseCodes(401, 429)
  @ApiOperation({ summary: 'Options for reauthenticating with a passkey' })
  async passkeyOptions(
    @CurrentUser() caller: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PasskeyRequestOptionsDto> {
    reply.header('Cache-Control', 'no-store');
    return (await this.passkeys.reauthenticationOptions(caller)) as PasskeyRequestOptionsDto;
  }
}
