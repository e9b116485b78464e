import { ConflictException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ChangeScope } from './account-changes';

/**
 * For a change that may take away the last enabled administrator (a disable, a deletion): when the target is one,
 * every enabled administrator's row is locked in one order before the target's, so two administrators acting on
 * each other at once are decided one after the other, and the second sees the first's change.
 */
export async function lockAdministratorsFor(db: EntityManager, userId: string): Promise<void> {
  await db.query(
    `SELECT id FROM users
      WHERE 'admin' = ANY (roles) AND disabled_at IS NULL
        AND EXISTS (SELECT 1 FROM users target WHERE target.id = $1 AND 'admin' = ANY (target.roles))
      ORDER BY id FOR UPDATE`,
    [userId],
  );
}

/** 409 with `refusal` when the scope's user is the last enabled administrator: nobody could administer after. */
export async function keepAnAdministrator({ db, user }: ChangeScope, refusal: string): Promise<void> {
  if (!user.roles.includes('admin') || user.disabledAt) return;
  const [{ others }] = await db.query<{ others: number }[]>(
    `SELECT count(*)::int AS others FROM users
      WHERE 'admin' = ANY (roles) AND disabled_at IS NULL AND id <> $1`,
    [user.id],
  );
  if (others === 0) throw new ConflictException(refusal);
}
