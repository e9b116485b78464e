import { ForbiddenException, NotFoundException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { roleAllows } from './org-roles';

export const NOT_FOUND = 'organization not found';

/** The user's role in the organization, read in `db`'s transaction; undefined for no membership. */
export async function roleIn(db: EntityManager, orgId: string, userId: string): Promise<string | undefined> {
  const [row] = await db.query<{ role: string }[]>(
    'SELECT role FROM org_memberships WHERE organization_id = $1 AND user_id = $2',
    [orgId, userId],
  );
  return row?.role;
}

/** An organization, with one member's role in it. */
export interface MembershipRow {
  id: string;
  name: string;
  created_at: Date;
  role: string;
}

/**
 * The user's membership with the organization. For a change (`change` given), the organization's row is locked
 * for it, so changes to one organization queue (shared locks would let two of them deadlock on the
 * way to their writes), and the role is the one that holds now, not the one an access token was issued with.
 * 404 for a stranger, 403 for a member whose role lacks the permission the change needs.
 */
export async function membershipOf(
  db: EntityManager,
  userId: string,
  orgId: string,
  change?: { readonly permission?: string },
): Promise<MembershipRow> {
  const [row] = await db.query<MembershipRow[]>(
    `SELECT o.id, o.name, o.created_at, m.role
       FROM organizations o JOIN org_memberships m ON m.organization_id = o.id AND m.user_id = $2
      WHERE o.id = $1 ${change ? 'FOR UPDATE OF o' : ''}`,
    [orgId, userId],
  );
  if (!row) throw new NotFoundException(NOT_FOUND);
  const permission = change?.permission;
  if (permission && !roleAllows(row.role, permission)) {
    throw new ForbiddenException(`your role (${row.role}) may not do this`);
  }
  return row;
}
