import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PerRoute } from '../guards/per-route';
import { AuthUser } from '../tokens/token-types';
import { InsufficientScopeException } from './insufficient-scope';
import { MACHINE_ACCESS, MachineAccess } from './scopes';

export const CLOSED_TO_MACHINES = 'this route does not accept API keys or service clients';
export const NEEDS_A_USER = 'this route acts for a user: a service client cannot call it';

/**
 * Global, right after the bearer check: an API key or a service client reaches only the routes that declare a
 * scope it holds (@RequiresScope), or that take any credential (@AnyCredential). A user's own session passes:
 * it holds every scope.
 */
@Injectable()
export class ScopeGuard implements CanActivate {
  private readonly access = new PerRoute((handler, controller) =>
    this.reflector.getAllAndOverride<MachineAccess | undefined>(MACHINE_ACCESS, [handler, controller]),
  );

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const machine = context.switchToHttp().getRequest<{ user?: AuthUser }>().user?.credential;
    if (machine === undefined) return true;
    const access = this.access.of(context);
    if (access === undefined) throw new InsufficientScopeException(CLOSED_TO_MACHINES);
    if ('anyCredential' in access) return true;
    if (!machine.scopes.includes(access.scope)) {
      throw new InsufficientScopeException(`this route needs the scope ${access.scope}`, access.scope);
    }
    // Holding the scope is not enough for a client: the route acts for a user, and a client has none.
    if (machine.kind === 'client') throw new ForbiddenException(NEEDS_A_USER);
    return true;
  }
}
