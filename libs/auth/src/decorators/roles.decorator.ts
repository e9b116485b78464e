import { SetMetadata } from '@nestjs/common';

export const REQUIRED_ROLES = 'gatehouse:roles';

/** Allows a route only to callers whose access token carries one of these roles. */
export const Roles = (...roles: string[]) => SetMetadata(REQUIRED_ROLES, roles);
