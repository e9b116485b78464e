import { AppConfig } from '@gatehouse/config';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AccountChanges } from '../changes/account-changes';
import { RequireRecentSignIn } from '../changes/recent-sign-in.guard';
import { DpopRefusal } from '../dpop/dpop-refusal';
import { ApiResponseCodes, ErrorDto } from '../decorators/api-errors.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { Public } from '../decorators/public.decorator';
import { RequestClient } from '../decorators/request-client.decorator';
import { SignInResponse } from '../sign-in/sign-in-response';
import { RateLimit } from '../throttling/rate-limit.decorator';
import { ClientInfo } from '../tokens/token.service';
import { AuthUser } from '../tokens/token-types';
import { IdentityDto, LinkProviderDto, LinkUrlDto, ProviderDto } from './dto/oauth.dto';
import { Identities } from './identities';
import { OAuthFailure } from './oauth-failure';
import { OAuthService } from './oauth.service';
import { safeReturnTo } from './return-to';
import { SignInProviders } from './sign-in-providers';
import { TransactionCookie } from './transaction-cookie';

const SEE_OTHER = 303;

/** A SHA-256 JWK thumbprint (43 base64url characters), or undefined for anything else. */
function thumbprintOf(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

/**
 * Sign-in with other providers. `start` is a link (a GET: the page's `form-action 'self'` would stop a form that
 * redirects away); `callback` arrives cross-site by design, so no same-origin check applies to it: its state is
 * bound to the transaction cookie that `start` set in this same browser.
 */
@ApiTags('oauth')
@Controller('auth/oauth')
export class OAuthController {
  constructor(
    private readonly config: AppConfig,
    private readonly providers: SignInProviders,
    private readonly oauth: OAuthService,
    private readonly transactionCookie: TransactionCookie,
    private readonly response: SignInResponse,
  ) {}

  @Public()
  @Get('providers')
  @ApiOkResponse({
    type: [ProviderDto],
    description: 'The configured providers, in the order of OAUTH_PROVIDERS',
  })
  @ApiResponseCodes(429)
  @ApiOperation({ summary: 'List the sign-in providers' })
  listProviders(): ProviderDto[] {
    return this.providers.list().map(({ id, name }) => ({ id, name }));
  }

  @Public()
  @Get(':provider/start')
  @ApiQuery({
    name: 'returnTo',
    required: false,
    type: String,
    description: 'A path on APP_URL to land on afterwards (anything else becomes `/`)',
  })
  @ApiQuery({
    name: 'dpop_jkt',
    required: false,
    type: String,
    description:
      'The JWK thumbprint (RFC 7638) of the DPoP key the new session is to be bound to (RFC 9449 §10)',
  })
  @ApiResponse({
    status: SEE_OTHER,
    description:
      "To the provider's authorization endpoint, with the transaction cookie set; to `<APP_URL>/?oauth_error=provider_error` when the provider cannot be reached",
  })
  @ApiResponseCodes(400, 404, 429)
  @ApiOperation({ summary: "Redirect to a provider's sign-in" })
  async start(
    @Param('provider') providerId: string,
    @Query('returnTo') returnTo: unknown,
    @Query('dpop_jkt') dpopJkt: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { mode } = this.config.dpop;
    const jkt = mode === 'off' ? undefined : thumbprintOf(dpopJkt);
    if (mode === 'required' && !jkt) {
      throw new DpopRefusal(
        400,
        'invalid_dpop_proof',
        'dpop_jkt (the thumbprint of the DPoP key) is required',
      );
    }
    try {
      const flow = await this.oauth.start(providerId, safeReturnTo(returnTo), undefined, jkt);
      this.transactionCookie.set(reply, flow.transactionId);
      await reply.redirect(flow.url.href, SEE_OTHER);
    } catch (error) {
      if (!(error instanceof OAuthFailure)) throw error;
      await this.toFront(reply, error);
    }
  }

  @Public()
  @Get(':provider/callback')
  // A sign-in like a password login, throttled like one.
  @RateLimit('login')
  @ApiResponse({
    status: SEE_OTHER,
    description:
      'To `<APP_URL><returnTo>` with the refresh cookie of a new session set, or to `<APP_URL>/?oauth_error=<code>` with no session',
  })
  @ApiResponseCodes(404, 429)
  @ApiOperation({ summary: "Finish a provider's sign-in" })
  async callback(
    @Param('provider') providerId: string,
    @Req() request: FastifyRequest,
    @RequestClient() client: ClientInfo,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
    const transactionId = this.transactionCookie.read(request);
    this.transactionCookie.clear(reply);
    reply.header('Cache-Control', 'no-store');
    try {
      const outcome = await this.oauth.callback(providerId, transactionId, query, client);
      if (outcome.kind === 'mfa') {
        // A fragment: the token reaches the page only, never a server log or a Referer.
        await reply.redirect(`${this.config.urls.appUrl}/#mfa=${outcome.challenge.mfaToken}`, SEE_OTHER);
        return;
      }
      if (outcome.kind === 'signed_in') this.response.setCookies(reply, outcome.tokens);
      // Checked again: a transaction stored before paths were encoded must not make the Location fail.
      await reply.redirect(`${this.config.urls.appUrl}${safeReturnTo(outcome.returnTo)}`, SEE_OTHER);
    } catch (error) {
      if (!(error instanceof OAuthFailure)) throw error;
      await this.toFront(reply, error);
    }
  }

  @Post(':provider/link')
  @HttpCode(HttpStatus.OK)
  @RequireRecentSignIn()
  @ApiBearerAuth()
  @ApiBody({ type: LinkProviderDto, required: false })
  @ApiOkResponse({
    type: LinkUrlDto,
    description: 'Sets the transaction cookie; opening the URL attaches the provider account to the caller',
  })
  @ApiUnauthorizedResponse({
    type: ErrorDto,
    description: 'No valid access token, or a sign-in older than REAUTH_MAX_AGE',
  })
  @ApiForbiddenResponse({ type: ErrorDto, description: 'The email address is not verified' })
  @ApiResponseCodes(400, 404, 503)
  @ApiOperation({ summary: 'Start linking a provider to the account' })
  async link(
    @CurrentUser() caller: AuthUser,
    @Param('provider') providerId: string,
    @Body() body: LinkProviderDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LinkUrlDto> {
    let flow;
    try {
      flow = await this.oauth.start(providerId, safeReturnTo(body?.returnTo), {
        userId: caller.id,
        sessionId: caller.sessionId,
      });
    } catch (error) {
      if (error instanceof OAuthFailure)
        throw new ServiceUnavailableException('the provider cannot be reached');
      throw error;
    }
    this.transactionCookie.set(reply, flow.transactionId);
    reply.header('Cache-Control', 'no-store');
    return { url: flow.url.href };
  }

  /** Back to the front end with the error code only: never a token, a code or the provider's own words. */
  private async toFront(reply: FastifyReply, failure: OAuthFailure): Promise<void> {
    await reply.redirect(`${this.config.urls.appUrl}/?oauth_error=${failure.code}`, SEE_OTHER);
  }
}

/** The caller's accounts at providers: the account page lists them and unlinks them. */
@ApiTags('oauth')
@ApiBearerAuth()
@Controller('auth/identities')
export class IdentitiesController {
  constructor(
    private readonly identities: Identities,
    private readonly changes: AccountChanges,
  ) {}

  @Get()
  @ApiOkResponse({ type: [IdentityDto], description: 'Oldest first' })
  @ApiResponseCodes(401)
  @ApiOperation({ summary: "List the account's linked providers" })
  async list(@CurrentUser() caller: AuthUser): Promise<IdentityDto[]> {
    return (await this.identities.listFor(caller.id)).map((identity) => IdentityDto.from(identity));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequireRecentSignIn()
  @ApiNoContentResponse({
    description: 'The identity no longer signs the caller in; every other session of the caller ends',
  })
  @ApiConflictResponse({
    type: ErrorDto,
    description: 'It is the last way to sign in (no password, no other identity, no passkey)',
  })
  @ApiResponseCodes(400, 401, 404)
  @ApiOperation({ summary: 'Unlink a provider' })
  async unlink(
    @CurrentUser() caller: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @RequestClient() client: ClientInfo,
  ): Promise<void> {
    await this.changes.change({
      kind: 'identity_unlinked',
      userId: caller.id,
      proof: { kind: 'recent_sign_in', caller },
      client,
      details: { identityId: id },
      apply: (scope) => this.identities.unlink(scope, id),
    });
  }
}
