import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/** The PostgreSQL channel on which instances hear that a member's role changed or their membership ended. */
export const MEMBERSHIP_CHANNEL = 'gatehouse_memberships';

// A NOTIFY payload must stay under 8000 bytes: about 80 changes per notice.
const CHANGES_PER_NOTICE = 80;
const ROLE = /^[a-z][a-z0-9_-]{0,31}$/;

/** A member's role in an organization since `at`; null once they are no longer a member. */
export interface MembershipChange {
  readonly organizationId: string;
  readonly userId: string;
  readonly role: string | null;
  readonly at: Date;
}

interface ChangeRow {
  organization_id: string;
  user_id: string;
  role: string | null;
  changed_at: Date;
}

const changeOf = (row: ChangeRow): MembershipChange => ({
  organizationId: row.organization_id,
  userId: row.user_id,
  role: row.role,
  at: new Date(row.changed_at),
});

/**
 * Records, in the caller's transaction, that these members of the organization now hold `role` (null: they are
 * members no more), and tells every other instance once it commits: access tokens claiming another role there
 * stop. Called by every write that changes or ends a membership, after that write, under the organization's
 * lock. The changes returned go to MembershipChangeLog.published once the transaction has committed, for this
 * instance (which the embedded database cannot notify).
 */
export async function recordMembershipChanges(
  db: EntityManager,
  organizationId: string,
  userIds: readonly string[],
  role: string | null,
): Promise<MembershipChange[]> {
  if (userIds.length === 0) return [];
  const rows = await db.query<ChangeRow[]>(
    `INSERT INTO org_membership_changes (organization_id, user_id, role, changed_at)
     SELECT $1, user_id, $3, clock_timestamp() FROM unnest($2::uuid[]) AS u(user_id)
     RETURNING organization_id, user_id, role, changed_at`,
    [organizationId, [...userIds], role],
  );
  const changes = rows.map(changeOf);
  for (let i = 0; i < changes.length; i += CHANGES_PER_NOTICE) {
    const notice = changes
      .slice(i, i + CHANGES_PER_NOTICE)
      .map((change) => [change.organizationId, change.userId, change.role, change.at.toISOString()]);
    await db.query('SELECT pg_notify($1, $2)', [MEMBERSHIP_CHANNEL, JSON.stringify(notice)]);
  }
  return changes;
}

/** Reads a notice; what is malformed in it is left out. */
export function parseMembershipNotice(payload: string): MembershipChange[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const changes: MembershipChange[] = [];
  for (const entry of parsed) {
    if (!Array.isArray(entry)) continue;
    const [organizationId, userId, role, at] = entry as unknown[];
    const when = typeof at === 'string' ? new Date(at) : undefined;
    if (typeof organizationId !== 'string' || !isUUID(organizationId)) continue;
    if (typeof userId !== 'string' || !isUUID(userId)) continue;
    if (role !== null && (typeof role !== 'string' || !ROLE.test(role))) continue;
    if (!when || Number.isNaN(when.getTime())) continue;
    changes.push({ organizationId, userId, role, at: when });
  }
  return changes;
}

/**
 * The log of membership changes (the periodic clean-up drops what is a day old): heard at once by this instance (`published`), read back by instances that start
 * or may have missed a notice (`recent`).
 */
@Injectable()
export class MembershipChangeLog {
  private readonly listeners: ((changes: readonly MembershipChange[]) => void)[] = [];

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Calls `listener` with every change this instance commits, as soon as it has committed. */
  subscribe(listener: (changes: readonly MembershipChange[]) => void): void {
    this.listeners.push(listener);
  }

  /** Changes recorded by recordMembershipChanges in a transaction that has now committed. */
  published(changes: readonly MembershipChange[]): void {
    if (changes.length === 0) return;
    for (const listener of this.listeners) listener(changes);
  }

  /** The latest change of each membership changed in the last `lookBackSeconds`, by the database's clock. */
  async recent(lookBackSeconds: number): Promise<MembershipChange[]> {
    const rows = await this.dataSource.query<ChangeRow[]>(
      `SELECT DISTINCT ON (organization_id, user_id) organization_id, user_id, role, changed_at
         FROM org_membership_changes
        WHERE changed_at > now() - $1 * interval '1 second'
        ORDER BY organization_id, user_id, changed_at DESC`,
      [lookBackSeconds],
    );
    return rows.map(changeOf);
  }
}
