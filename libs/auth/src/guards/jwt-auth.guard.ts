import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from '../decorators/public.decorator';
import { RevocationService } from '../revocation/revocation.service';
import { ACCESS_STRATEGY } from '../strategies/access-token.strategy';
import { bearerToken } from '../strategies/bearer-token';
import { AuthUser } from '../tokens/token-types';
import { VerifiedTokenCache } from './verified-token-cache';

type GuardedRequest = FastifyRequest & { user?: AuthUser };

/**
 * The global guard: every route needs a valid bearer access token unless it is @Public(). A token verified once
 * is remembered by its exact text until it expires, so the hot path is a map lookup, an expiry check and a
 * revocation check. It never reads the database.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard(ACCESS_STRATEGY) {
  constructor(
    private readonly reflector: Reflector,
    private readonly revocations: RevocationService,
    private readonly verified: VerifiedTokenCache,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.get<boolean | undefined>(IS_PUBLIC, context.getHandler())) return true;

    const request = context.switchToHttp().getRequest<GuardedRequest>();
    const token = bearerToken(request.headers.authorization);
    let user = token === undefined ? undefined : this.verified.get(token);
    if (!user) {
      await super.canActivate(context);
      user = request.user!;
      if (token !== undefined) this.verified.set(token, user, expiryOf(token));
    }
    if (this.revocations.isRevoked(user.sessionId))
      throw new UnauthorizedException('session has been revoked');
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
