import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { FastifyReply } from 'fastify';
import { RefreshCookie } from '../cookies/refresh-cookie';
import { REFRESH_CLAIMS } from '../decorators/request-properties';
import { REFRESH_STRATEGY } from '../strategies/refresh-token.strategy';

/**
 * Verifies the refresh cookie's signature and claims before anything reads the database, so a forged token
 * can never touch a family. A missing or invalid cookie is a 401 that also clears it.
 */
@Injectable()
export class RefreshGuard extends AuthGuard(REFRESH_STRATEGY) {
  constructor(private readonly cookie: RefreshCookie) {
    super();
  }

  override getAuthenticateOptions(): { property: string } {
    return { property: REFRESH_CLAIMS };
  }

  override handleRequest<T>(error: unknown, claims: T | false, _info: unknown, context: ExecutionContext): T {
    if (error || !claims) {
      this.cookie.clear(context.switchToHttp().getResponse<FastifyReply>());
      throw new UnauthorizedException('refresh token is missing or invalid');
    }
    return claims;
  }
}

/** For logout: the verified refresh claims when the cookie is valid, nothing otherwise, and never a 401. */
@Injectable()
export class OptionalRefreshGuard extends AuthGuard(REFRESH_STRATEGY) {
  override getAuthenticateOptions(): { property: string } {
    return { property: REFRESH_CLAIMS };
  }

  override handleRequest<T>(_error: unknown, claims: T | false): T {
    return (claims || undefined) as T;
  }
}
