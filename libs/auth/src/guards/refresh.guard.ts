import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { RefreshCookie } from '../cookies/refresh-cookie';
import { looksLikeBrowser } from '../dpop/native-client';
import { REFRESH_CLAIMS } from '../decorators/request-properties';
import { SecurityEvents } from '../security-events';
import { TokenSigner } from '../tokens/token-signer';
import { RefreshClaims } from '../tokens/token-types';

type RefreshRequest = FastifyRequest & { [REFRESH_CLAIMS]?: RefreshClaims };

/**
 * The refresh token's verified claims: from its HttpOnly cookie, never from a header; or, for a native client
 * (a request that does not look like a browser's), from `{refreshToken}` in the body, which the rotation then
 * accepts only for a session bound to a DPoP key.
 */
function verifiedCookie(context: ExecutionContext, cookie: RefreshCookie, signer: TokenSigner) {
  const request = context.switchToHttp().getRequest<RefreshRequest>();
  const fromCookie = cookie.read(request);
  const fromBody = (request.body as { refreshToken?: unknown } | undefined)?.refreshToken;
  let claims: RefreshClaims | undefined;
  if (fromCookie) {
    claims = signer.verifyRefreshToken(fromCookie);
  } else if (typeof fromBody === 'string' && fromBody.length <= 4096 && !looksLikeBrowser(request)) {
    const verified = signer.verifyRefreshToken(fromBody);
    claims = verified && { ...verified, source: 'body' };
  }
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
