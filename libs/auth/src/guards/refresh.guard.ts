import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { RefreshCookie } from '../cookies/refresh-cookie';
import { REFRESH_CLAIMS } from '../decorators/request-properties';
import { SecurityEvents } from '../security-events';
import { TokenSigner } from '../tokens/token-signer';
import { RefreshClaims } from '../tokens/token-types';

type RefreshRequest = FastifyRequest & { [REFRESH_CLAIMS]?: RefreshClaims };

/** The refresh cookie's verified claims: read from its HttpOnly cookie only, never from a header. */
function verifiedCookie(context: ExecutionContext, cookie: RefreshCookie, signer: TokenSigner) {
  const request = context.switchToHttp().getRequest<RefreshRequest>();
  const token = request.cookies?.[cookie.name];
  const claims = token ? signer.verifyRefreshToken(token) : undefined;
  request[REFRESH_CLAIMS] = claims;
  return claims;
}

/**
 * Verifies the refresh cookie's signature and claims before anything reads the database, so a forged token
 * can never touch a family. A missing or invalid cookie is a 401 that also clears it.
 */
@Injectable()
export class RefreshGuard implements CanActivate {
  constructor(
    private readonly cookie: RefreshCookie,
    private readonly signer: TokenSigner,
    private readonly events: SecurityEvents,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (verifiedCookie(context, this.cookie, this.signer)) return true;
    this.events.note('refresh.cookie_refused');
    this.cookie.clear(context.switchToHttp().getResponse<FastifyReply>());
    throw new UnauthorizedException('refresh token is missing or invalid');
  }
}

/** For logout: the verified refresh claims when the cookie is valid, nothing otherwise, and never a 401. */
@Injectable()
export class OptionalRefreshGuard implements CanActivate {
  constructor(
    private readonly cookie: RefreshCookie,
    private readonly signer: TokenSigner,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    verifiedCookie(context, this.cookie, this.signer);
    return true;
  }
}
