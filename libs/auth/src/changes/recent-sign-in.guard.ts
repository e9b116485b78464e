import { AppConfig } from '@gatehouse/config';
import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PerRoute } from '../guards/per-route';
import { AuthUser } from '../tokens/token-types';
import {
  InsufficientAuthenticationException,
  isRecentSignIn,
  SIGN_IN_TOO_OLD,
} from './insufficient-authentication';

const REQUIRES_RECENT_SIGN_IN = 'gatehouse:recent-sign-in';

/**
 * Marks a route that changes (or begins changing) how the account is entered: its caller's sign-in must be at most
 * REAUTH_MAX_AGE old. The change function checks the same again, in its transaction; this refuses early, before
 * a route hands out options or a pending secret.
 */
export const RequireRecentSignIn = (): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRES_RECENT_SIGN_IN, true);

/** Global, after the bearer check: enforces @RequireRecentSignIn() from the token's `auth_time` alone. */
@Injectable()
export class RecentSignInGuard implements CanActivate {
  private readonly demanded = new PerRoute(
    (handler, controller) =>
      this.reflector.getAllAndOverride<boolean | undefined>(REQUIRES_RECENT_SIGN_IN, [
        handler,
        controller,
      ]) === true,
  );

  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.demanded.of(context)) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    const maxAge = this.config.tokens.reauthMaxAge;
    if (user && isRecentSignIn(user.authTime, maxAge)) return true;
    throw new InsufficientAuthenticationException(SIGN_IN_TOO_OLD, maxAge);
  }
}
