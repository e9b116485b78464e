import { Webhooks } from '@gatehouse/audit';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MembershipChangeLog, recordMembershipChanges } from './membership-changes';
import { memberAdded, membersRemoved } from './membership-webhooks';
import { membershipOf, MembershipRow } from './membership-of';

/** An organization as one of its members sees it: with that member's role. */
export interface MemberView {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly role: string;
}

const viewOf = (row: MembershipRow): MemberView => ({
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
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly changeLog: MembershipChangeLog,
    private readonly webhooks: Webhooks,
  ) {}

  /** A new organization, its maker its owner, in one transaction. */
  create(userId: string, name: string): Promise<MemberView> {
    return this.dataSource.transaction(async (db) => {
      const [org] = await db.query<MembershipRow[]>(
        `INSERT INTO organizations (name) VALUES ($1) RETURNING id, name, created_at, 'owner' AS role`,
        [name],
      );
      await db.query(
        `INSERT INTO org_memberships (organization_id, user_id, role) VALUES ($1, $2, 'owner')`,
        [org.id, userId],
      );
      await memberAdded(this.webhooks, db, org.id, userId, 'owner');
      return viewOf(org);
    });
  }

  /** The caller's organizations, oldest membership first. */
  async list(userId: string): Promise<MemberView[]> {
    const rows = await this.dataSource.query<MembershipRow[]>(
      `SELECT o.id, o.name, o.created_at, m.role
         FROM org_memberships m JOIN organizations o ON o.id = m.organization_id
        WHERE m.user_id = $1
        ORDER BY m.created_at, o.id`,
      [userId],
    );
    return rows.map(viewOf);
  }

  async get(userId: string, orgId: string): Promise<MemberView> {
    return viewOf(await membershipOf(this.dataSource.manager, userId, orgId));
  }

  async rename(userId: string, orgId: string, name: string): Promise<MemberView> {
    return this.dataSource.transaction(async (db) => {
      const member = await membershipOf(db, userId, orgId, { permission: 'org:update' });
      await db.query('UPDATE organizations SET name = $2, updated_at = now() WHERE id = $1', [orgId, name]);
      return viewOf({ ...member, name });
    });
  }

  /** Deletes the organization and every membership in it: no member's access token claims it any more. */
  async delete(userId: string, orgId: string): Promise<void> {
    const changes = await this.dataSource.transaction(async (db) => {
      await membershipOf(db, userId, orgId, { permission: 'org:delete' });
      const [members] = await db.query<[{ user_id: string }[], number]>(
        'DELETE FROM org_memberships WHERE organization_id = $1 RETURNING user_id',
        [orgId],
      );
      await db.query('DELETE FROM organizations WHERE id = $1', [orgId]);
      const userIds = members.map((member) => member.user_id);
      await membersRemoved(this.webhooks, db, orgId, userIds);
      return recordMembershipChanges(db, orgId, userIds, null);
    });
    this.changeLog.published(changes);
  }
}
