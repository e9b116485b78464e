import { AppConfig } from '@gatehouse/config';
import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InsufficientAuthenticationException } from '../changes/insufficient-authentication';
import { REQUIRED_ROLES } from '../decorators/roles.decorator';
import { PerRoute } from '../guards/per-route';
import { AuthUser } from '../tokens/token-types';

const REQUIRES_SECOND_FACTOR = 'gatehouse:second-factor';

/**
 * Demands that the caller's session began with a second factor (`mfa` in the access token's `amr`). Without
 * one the answer is RFC 9470's: 401 with `WWW-Authenticate: Bearer error="insufficient_user_authentication"`.
 */
export const RequireSecondFactor = (): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRES_SECOND_FACTOR, true);

/** RFC 9470's answer to a caller whose session lacks a second factor. */
export function secondFactorRequired(): InsufficientAuthenticationException {
  return new InsufficientAuthenticationException('a second factor is required');
}

/**
 * Global, after the bearer and role checks: enforces @RequireSecondFactor() on a route or its controller, and on
 * every route that needs the `admin` role when ADMIN_REQUIRE_MFA is on. Reads the token's claims only.
 */
@Injectable()
export class SecondFactorGuard implements CanActivate {
  private readonly demanded = new PerRoute(
    (handler, controller) =>
      this.reflector.getAllAndOverride<boolean | undefined>(REQUIRES_SECOND_FACTOR, [handler, controller]) ===
        true ||
      (this.config.mfa.adminRequireMfa &&
        [handler, controller].some((target) =>
          this.reflector.get<string[] | undefined>(REQUIRED_ROLES, target)?.includes('admin'),
        )),
  );

  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.demanded.of(context)) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (user?.amr.includes('mfa')) return true;
    throw secondFactorRequired();
  }
}
