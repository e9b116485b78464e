import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { roleAllows } from './org-roles';

/** An organization as one of its members sees it: with that member's role. */
export interface MemberView {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly role: string;
}

interface MemberViewRow {
  id: string;
  name: string;
  created_at: Date;
  role: string;
}

export const NOT_FOUND = 'organization not found';

const viewOf = (row: MemberViewRow): MemberView => ({
  id: row.id,
  name: row.name,
  createdAt: new Date(row.created_at),
  role: row.role,
});

/**
 * Organizations and the caller's place in them. Whoever is not a member is told nothing, not even that the
 * organization exists (404); a member whose role lacks the permission is refused (403).
 */
@Injectable()
export class Organizations {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A new organization, its maker its owner, in one transaction. */
  create(userId: string, name: string): Promise<MemberView> {
    return this.dataSource.transaction(async (db) => {
      const [org] = await db.query<MemberViewRow[]>(
        `INSERT INTO organizations (name) VALUES ($1) RETURNING id, name, created_at, 'owner' AS role`,
        [name],
      );
      await db.query(
        `INSERT INTO org_memberships (organization_id, user_id, role) VALUES ($1, $2, 'owner')`,
        [org.id, userId],
      );
      return viewOf(org);
    });
  }

  /** The caller's organizations, oldest membership first. */
  async list(userId: string): Promise<MemberView[]> {
    const rows = await this.dataSource.query<MemberViewRow[]>(
      `SELECT o.id, o.name, o.created_at, m.role
         FROM org_memberships m JOIN organizations o ON o.id = m.organization_id
        WHERE m.user_id = $1
        ORDER BY m.created_at, o.id`,
      [userId],
    );
    return rows.map(viewOf);
  }

  async get(userId: string, orgId: string): Promise<MemberView> {
    return viewOf(await this.membership(this.dataSource.manager, userId, orgId));
  }

  async rename(userId: string, orgId: string, name: string): Promise<MemberView> {
    return this.dataSource.transaction(async (db) => {
      const member = await this.membership(db, userId, orgId, 'org:update');
      await db.query('UPDATE organizations SET name = $2, updated_at = now() WHERE id = $1', [orgId, name]);
      return viewOf({ ...member, name });
    });
  }

  /** Deletes the organization and every membership in it. */
  async delete(userId: string, orgId: string): Promise<void> {
    await this.dataSource.transaction(async (db) => {
      await this.membership(db, userId, orgId, 'org:delete');
      await db.query('DELETE FROM organizations WHERE id = $1', [orgId]);
    });
  }

  /**
   * The caller's membership with the organization; when a permission is asked for (a change), the organization's
   * row is locked for it, so changes to one organization queue (shared locks would let two of them deadlock on
   * the way to their writes); 404 for a stranger, 403 for a member whose role lacks the permission.
   */
  private async membership(
    db: EntityManager,
    userId: string,
    orgId: string,
    permission?: string,
  ): Promise<MemberViewRow> {
    const [row] = await db.query<MemberViewRow[]>(
      `SELECT o.id, o.name, o.created_at, m.role
         FROM organizations o JOIN org_memberships m ON m.organization_id = o.id AND m.user_id = $2
        WHERE o.id = $1 ${permission ? 'FOR UPDATE OF o' : ''}`,
      [orgId, userId],
    );
    if (!row) throw new NotFoundException(NOT_FOUND);
    if (permission && !roleAllows(row.role, permission)) {
      throw new ForbiddenException(`your role (${row.role}) may not do this`);
    }
    return row;
  }
}
