import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { REQUIRED_ROLES } from '../decorators/roles.decorator';
import { AuthUser } from '../tokens/token-types';
import { PerRoute } from './per-route';

/**
 * Global, after JwtAuthGuard: every @Roles(...) list on the route and on its controller must be met by one role
 * of the access token's.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  private readonly required = new PerRoute((handler, controller) =>
    [controller, handler]
      .map((target) => this.reflector.get<string[] | undefined>(REQUIRED_ROLES, target))
      .filter((roles): roles is string[] => roles !== undefined && roles.length > 0),
  );

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const lists = this.required.of(context);
    if (lists.length === 0) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (user && lists.every((roles) => roles.some((role) => user.roles.includes(role)))) return true;
    throw new ForbiddenException('insufficient role');
  }
}
