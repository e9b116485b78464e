import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { FastifyReply, FastifyRequest } from 'fastify';
import { IS_PUBLIC } from '../decorators/public.decorator';
import { RevocationService } from '../revocation/revocation.service';
import { ApiKeyAuthenticator } from '../machine/api-keys/api-key-authenticator';
import { looksLikeApiKey } from '../machine/api-keys/api-key-text';
import { ACCESS_STRATEGY } from '../strategies/access-token.strategy';
import { SenderConstraint } from '../dpop/sender-constraint';
import { presentedToken } from '../strategies/bearer-token';
import { AuthUser } from '../tokens/token-types';
import { PerRoute } from './per-route';
import { VerifiedTokenCache } from './verified-token-cache';

type GuardedRequest = FastifyRequest & { user?: AuthUser };

/**
 * The global guard: every route needs a valid access token unless it is @Public(). A token verified once is
 * remembered by its exact text until it expires, so the hot path is a map lookup, an expiry check and a
 * revocation check; a DPoP-bound token adds its request's proof, checked with CPU only. It never reads the
 * database, but for an API key whose cached verdict is over a minute old.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard(ACCESS_STRATEGY) {
  private readonly isPublic = new PerRoute(
    (handler) => this.reflector.get<boolean | undefined>(IS_PUBLIC, handler) === true,
  );

  constructor(
    private readonly reflector: Reflector,
    private readonly revocations: RevocationService,
    private readonly verified: VerifiedTokenCache,
    private readonly senderConstraint: SenderConstraint,
    private readonly apiKeys: ApiKeyAuthenticator,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.isPublic.of(context)) return true;

    const request = context.switchToHttp().getRequest<GuardedRequest>();
    const presented = presentedToken(request.headers.authorization);
    if (presented !== undefined && looksLikeApiKey(presented.token)) {
      // A key is a bearer credential: it has no key to prove possession with.
      if (presented.scheme !== 'bearer') throw new UnauthorizedException('an API key is sent as Bearer');
      request.user = await this.apiKeys.authenticate(presented.token, request.ip);
      return true;
    }
    let user = presented === undefined ? undefined : this.verified.get(presented.token);
    if (!user) {
      await super.canActivate(context);
      user = request.user!;
      if (presented !== undefined) this.verified.set(presented.token, user, expiryOf(presented.token));
    }
    if (this.revocations.isRevoked(user.sessionId)) {
      throw new UnauthorizedException(
        user.credential ? 'the service client has been deleted' : 'session has been revoked',
      );
    }
    if (user.org && !this.revocations.holdsRole(user.org.id, user.id, user.org.role)) {
      throw new UnauthorizedException(
        'your role in the active organization has changed: refresh for a new token',
      );
    }
    if (user.jkt !== undefined || presented?.scheme === 'dpop') {
      await this.senderConstraint.check(
        request,
        presented!,
        user.jkt,
        context.switchToHttp().getResponse<FastifyReply>(),
      );
    }
    request.user = user;
    return true;
  }

  override handleRequest<T>(error: unknown, user: T | false): T {
    if (error || !user) throw new UnauthorizedException();
    return user;
  }
}

/** The `exp` of a token that has just been verified, in milliseconds. */
function expiryOf(token: string): number {
  const payload = token.split('.')[1];
  const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp: number };
  return exp * 1000;
}
