import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import { PerRoute } from '../guards/per-route';
import { AuthUser } from '../tokens/token-types';

const ORG_ACCESS = 'gatehouse:org-access';

/** What a route under `/api/orgs/:id/…` asks of the caller's active organization. */
interface OrgAccess {
  readonly permission?: string;
}

export const NOT_ACTIVE =
  'this organization is not your active one: make it active with POST /api/auth/refresh {"organizationId"}';

/**
 * The route acts in the organization `:id`, which must be the caller's active one (the access token's `org`).
 * For routes any member may use; a route that needs more takes @RequirePermission.
 */
export const InActiveOrg = () =>
  applyDecorators(
    SetMetadata(ORG_ACCESS, {} satisfies OrgAccess),
    ApiForbiddenResponse({ description: 'Not your active organization, or your role lacks the permission' }),
  );

/**
 * The route acts in the organization `:id`, which must be the caller's active one, and the caller's role there
 * must hold `permission` (`<resource>:<action>`, granted to roles with grantPermissions). Read from the access
 * token alone: no database read, and a role changed or a membership ended stops the token on every instance.
 */
export const RequirePermission = (permission: string) =>
  applyDecorators(
    SetMetadata(ORG_ACCESS, { permission } satisfies OrgAccess),
    ApiForbiddenResponse({ description: 'Not your active organization, or your role lacks the permission' }),
  );

/** Global, after the bearer guard: enforces @InActiveOrg and @RequirePermission. */
@Injectable()
export class ActiveOrgGuard implements CanActivate {
  private readonly access = new PerRoute(
    (handler, controller) =>
      this.reflector.get<OrgAccess | undefined>(ORG_ACCESS, handler) ??
      this.reflector.get<OrgAccess | undefined>(ORG_ACCESS, controller),
  );

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const access = this.access.of(context);
    if (access === undefined) return true;
    const request = context.switchToHttp().getRequest<{ user?: AuthUser; params?: { id?: string } }>();
    const org = request.user?.org;
    if (!org || org.id !== request.params?.id) throw new ForbiddenException(NOT_ACTIVE);
    if (access.permission !== undefined && !org.permissions.includes(access.permission)) {
      throw new ForbiddenException(`your role (${org.role}) lacks the permission ${access.permission}`);
    }
    return true;
  }
}
