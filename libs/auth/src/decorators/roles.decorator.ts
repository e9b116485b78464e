import { SetMetadata } from '@nestjs/common';

export const REQUIRED_ROLES = 'gatehouse:roles';

/**
 * Allows a route only to callers whose access token carries one of these roles. On a controller and on one of
 * its routes, both apply: the caller needs one role of each list (a route can narrow its controller's rule,
 * never widen it).
 */
export const Roles = (...roles: string[]) => SetMetadata(REQUIRED_ROLES, roles);
