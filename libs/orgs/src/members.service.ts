import { Webhooks } from '@gatehouse/audit';
import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { MembershipChange, MembershipChangeLog, recordMembershipChanges } from './membership-changes';
import { membersRemoved } from './membership-webhooks';
import { membershipOf } from './membership-of';

/** A member of an organization, as its members see them. */
export interface Member {
  readonly userId: string;
  readonly email: string;
  readonly role: string;
  readonly joinedAt: Date;
}

interface MemberRow {
  user_id: string;
  email: string;
  role: string;
  created_at: Date;
}

const memberOf = (row: MemberRow): Member => ({
  userId: row.user_id,
  email: row.email,
  role: row.role,
  joinedAt: new Date(row.created_at),
});

export const MEMBER_NOT_FOUND = 'member not found';
const ONLY_OWNERS = 'only an owner may make, unmake or remove an owner';
const LAST_OWNER =
  'the organization’s last owner can be neither removed nor demoted: make another owner first';

/**
 * The members of an organization: their roles changed and their memberships ended, under the organization's
 * lock, so the rule that an organization keeps an owner holds however many changes race. Every change is
 * recorded and announced (recordMembershipChanges): access tokens claiming the old role stop at once.
 */
@Injectable()
export class Members {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly changeLog: MembershipChangeLog,
    private readonly webhooks: Webhooks,
  ) {}

  /** The organization's members, oldest first; the caller must be one of them. */
  async list(callerId: string, orgId: string): Promise<Member[]> {
    await membershipOf(this.dataSource.manager, callerId, orgId);
    const rows = await this.dataSource.query<MemberRow[]>(
      `SELECT m.user_id, u.email, m.role, m.created_at
         FROM org_memberships m JOIN users u ON u.id = m.user_id
        WHERE m.organization_id = $1
        ORDER BY m.created_at, m.user_id`,
      [orgId],
    );
    return rows.map(memberOf);
  }

  /** Gives a member another role: `members:update`, and only an owner makes or unmakes an owner. */
  async changeRole(callerId: string, orgId: string, userId: string, role: string): Promise<Member> {
    let changes: MembershipChange[] = [];
    const member = await this.dataSource.transaction(async (db) => {
      const caller = await membershipOf(db, callerId, orgId, { permission: 'members:update' });
      const target = await this.member(db, orgId, userId);
      if (target.role === role) return memberOf(target);
      if ((target.role === 'owner' || role === 'owner') && caller.role !== 'owner') {
        throw new ForbiddenException(ONLY_OWNERS);
      }
      if (target.role === 'owner') await this.keepAnOwner(db, orgId);
      await db.query('UPDATE org_memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2', [
        orgId,
        userId,
        role,
      ]);
      changes = await recordMembershipChanges(db, orgId, [userId], role);
      return memberOf({ ...target, role });
    });
    this.changeLog.published(changes);
    return member;
  }

  /** Ends a membership: anyone may leave; removing another takes `members:remove`, and an owner an owner. */
  async remove(callerId: string, orgId: string, userId: string): Promise<void> {
    const changes = await this.dataSource.transaction(async (db) => {
      const leaving = callerId === userId;
      const caller = await membershipOf(db, callerId, orgId, leaving ? {} : { permission: 'members:remove' });
      const target = await this.member(db, orgId, userId);
      if (!leaving && target.role === 'owner' && caller.role !== 'owner')
        throw new ForbiddenException(ONLY_OWNERS);
      if (target.role === 'owner') await this.keepAnOwner(db, orgId);
      await db.query('DELETE FROM org_memberships WHERE organization_id = $1 AND user_id = $2', [
        orgId,
        userId,
      ]);
      await membersRemoved(this.webhooks, db, orgId, [userId]);
      return recordMembershipChanges(db, orgId, [userId], null);
    });
    this.changeLog.published(changes);
  }

  private async member(db: EntityManager, orgId: string, userId: string): Promise<MemberRow> {
    const [row] = await db.query<MemberRow[]>(
      `SELECT m.user_id, u.email, m.role, m.created_at
         FROM org_memberships m JOIN users u ON u.id = m.user_id
        WHERE m.organization_id = $1 AND m.user_id = $2`,
      [orgId, userId],
    );
    if (!row) throw new NotFoundException(MEMBER_NOT_FOUND);
    return row;
  }

  /** Refuses (409) to take away the organization's only owner: run under its lock, about to change an owner. */
  private async keepAnOwner(db: EntityManager, orgId: string): Promise<void> {
    const [{ owners }] = await db.query<{ owners: number }[]>(
      `SELECT count(*)::int AS owners FROM org_memberships WHERE organization_id = $1 AND role = 'owner'`,
      [orgId],
    );
    if (owners <= 1) throw new ConflictException(LAST_OWNER);
  }
}
