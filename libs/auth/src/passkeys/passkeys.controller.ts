import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { RequireRecentSignIn } from '../changes/recent-sign-in.guard';
import { ApiResponseCodes, ErrorDto } from '../decorators/api-errors.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { Public } from '../decorators/public.decorator';
import { RequestClient } from '../decorators/request-client.decorator';
import { TokenResponseDto } from '../dto/token-response.dto';
import { BindsSession, DpopProofGuard } from '../dpop/dpop-proof.guard';
import { RefreshTokenDelivery, RefreshTokenDeliveryOf } from '../dpop/native-client';
import { SameOriginGuard } from '../guards/same-origin.guard';
import { secondFactorRequired } from '../mfa/require-second-factor';
import { SignInResponse } from '../sign-in/sign-in-response';
import { RateLimit } from '../throttling/rate-limit.decorator';
import { ClientInfo } from '../tokens/token.service';
import { AuthUser } from '../tokens/token-types';
import {
  PasskeyCreationOptionsDto,
  PasskeyDto,
  PasskeyLoginDto,
  PasskeyRequestOptionsDto,
  RegisterPasskeyDto,
  RenamePasskeyDto,
} from './dto/passkey.dto';
import { PasskeysService } from './passkeys.service';

const OFF = 'Passkeys are off: the server has no valid WebAuthn RP id (WEBAUTHN_RP_ID)';

@ApiTags('passkeys')
@Controller('auth/passkeys')
export class PasskeysController {
  constructor(
    private readonly passkeys: PasskeysService,
    private readonly response: SignInResponse,
  ) {}

  @Post('register/options')
  @HttpCode(HttpStatus.OK)
  @RequireRecentSignIn()
  @ApiBearerAuth()
  @ApiOkResponse({
    type: PasskeyCreationOptionsDto,
    description:
      'For PublicKeyCredential.parseCreationOptionsFromJSON: a resident key with user verification',
  })
  @ApiUnauthorizedResponse({
    type: ErrorDto,
    description:
      'No valid access token; a sign-in older than REAUTH_MAX_AGE; or the authenticator app is on and this session did not pass it',
  })
  @ApiForbiddenResponse({ type: ErrorDto, description: 'The email address is not verified' })
  @ApiNotFoundResponse({ type: ErrorDto, description: OFF })
  @ApiOperation({ summary: 'Options for making a passkey' })
  async registrationOptions(
    @CurrentUser() caller: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PasskeyCreationOptionsDto> {
    if (await this.passkeys.secondFactorOwed(caller)) throw secondFactorRequired();
    reply.header('Cache-Control', 'no-store');
    return (await this.passkeys.registrationOptions(caller)) as PasskeyCreationOptionsDto;
  }

  @Post('register')
  @RequireRecentSignIn()
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: PasskeyDto, description: 'The passkey signs the caller in from now on' })
  @ApiBadRequestResponse({
    type: ErrorDto,
    description:
      'A bad or replayed response, another origin or RP id, no user verification, or registered already',
  })
  @ApiNotFoundResponse({ type: ErrorDto, description: OFF })
  @ApiForbiddenResponse({ type: ErrorDto, description: 'The email address is not verified' })
  @ApiResponseCodes(401)
  @ApiOperation({ summary: 'Keep a new passkey' })
  async register(
    @CurrentUser() caller: AuthUser,
    @Body() body: RegisterPasskeyDto,
    @RequestClient() client: ClientInfo,
  ): Promise<PasskeyDto> {
    // Asked again: the authenticator app may have gone on since the options were issued.
    if (await this.passkeys.secondFactorOwed(caller)) throw secondFactorRequired();
    return PasskeyDto.from(await this.passkeys.register(caller, body.credential, client, body.name));
  }

  @Get()
  @ApiBearerAuth()
  @ApiOkResponse({ type: [PasskeyDto], description: 'Newest first' })
  @ApiResponseCodes(401)
  @ApiOperation({ summary: "List the user's passkeys" })
  async list(@CurrentUser() caller: AuthUser): Promise<PasskeyDto[]> {
    return (await this.passkeys.list(caller)).map((passkey) => PasskeyDto.from(passkey));
  }

  @Patch(':id')
  @ApiBearerAuth()
  @ApiOkResponse({ type: PasskeyDto })
  @ApiResponseCodes(400, 401, 404)
  @ApiOperation({ summary: 'Rename a passkey' })
  async rename(
    @CurrentUser() caller: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: RenamePasskeyDto,
  ): Promise<PasskeyDto> {
    return PasskeyDto.from(await this.passkeys.rename(caller, id, body.name));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequireRecentSignIn()
  @ApiBearerAuth()
  @ApiNoContentResponse({
    description: 'The passkey no longer signs the caller in; every other session of the caller ends',
  })
  @ApiConflictResponse({
    type: ErrorDto,
    description: 'It is the last way to sign in (no password, no linked provider, no other passkey)',
  })
  @ApiResponseCodes(400, 401, 404)
  @ApiOperation({ summary: 'Delete a passkey' })
  async remove(
    @CurrentUser() caller: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @RequestClient() client: ClientInfo,
  ): Promise<void> {
    await this.passkeys.remove(caller, id, client);
  }

  @Public()
  @Post('login/options')
  @HttpCode(HttpStatus.OK)
  @RateLimit('login')
  @ApiOkResponse({
    type: PasskeyRequestOptionsDto,
    description:
      'For PublicKeyCredential.parseRequestOptionsFromJSON: any passkey of the site, no email asked',
  })
  @ApiNotFoundResponse({ type: ErrorDto, description: OFF })
  @ApiResponseCodes(429)
  @ApiOperation({ summary: 'Options for signing in with a passkey' })
  async loginOptions(@Res({ passthrough: true }) reply: FastifyReply): Promise<PasskeyRequestOptionsDto> {
    reply.header('Cache-Control', 'no-store');
    return (await this.passkeys.loginOptions()) as PasskeyRequestOptionsDto;
  }

  @Public()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @RateLimit('login')
  // It starts a session: a cross-site page must not sign a browser in with its own passkey.
  @BindsSession()
  @UseGuards(SameOriginGuard, DpopProofGuard)
  @ApiOkResponse({ type: TokenResponseDto, description: 'Exactly as login, the refresh cookie included' })
  @ApiUnauthorizedResponse({
    type: ErrorDto,
    description: 'Unknown passkey, bad signature, a used or expired challenge, or a disabled account',
  })
  @ApiForbiddenResponse({ type: ErrorDto, description: 'Cross-site request' })
  @ApiNotFoundResponse({ type: ErrorDto, description: OFF })
  @ApiResponseCodes(400, 429)
  @ApiOperation({ summary: 'Sign in with a passkey' })
  async login(
    @Body() body: PasskeyLoginDto,
    @RequestClient() client: ClientInfo,
    @RefreshTokenDeliveryOf() delivery: RefreshTokenDelivery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    const outcome = await this.passkeys.login(body.credential, client);
    return this.response.send(reply, outcome, delivery) as TokenResponseDto;
  }
}
