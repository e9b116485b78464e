import { ConflictException, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export const LAST_WAY_IN =
  'this is the last way to sign in to the account: set a password, link a provider or add a passkey first';

/** A user's ways to sign in: a password, identities at providers, passkeys. */
export interface WaysIn {
  readonly password: boolean;
  readonly identities: readonly string[];
  readonly passkeys: readonly string[];
}

/**
 * Counts what a user can sign in with, in the caller's transaction and with the user row locked: two concurrent
 * removals (an identity and a passkey, say) are decided one after the other, so they cannot leave nothing.
 */
@Injectable()
export class SignInMethods {
  /** undefined when there is no such user. */
  async lock(db: EntityManager, userId: string): Promise<WaysIn | undefined> {
    // The lock comes first, in its own statement: a statement that waited for a lock still reads the rows it
    // counts in the snapshot it began with, which would miss what the removal it waited for took away.
    const locked = await db.query<unknown[]>('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
    if (locked.length === 0) return undefined;
    const [row] = await db.query<{ password: boolean; identities: string[]; passkeys: string[] }[]>(
      `SELECT u.password_hash IS NOT NULL AS password,
              ARRAY(SELECT i.id::text FROM user_identities i WHERE i.user_id = u.id) AS identities,
              ARRAY(SELECT p.id::text FROM passkeys p WHERE p.user_id = u.id) AS passkeys
         FROM users u WHERE u.id = $1`,
      [userId],
    );
    return row;
  }

  /** Refuses (409) to take away the way named by `id` when nothing else would be left. */
  assertAnotherBesides(ways: WaysIn, id: string): void {
    const others =
      (ways.password ? 1 : 0) +
      ways.identities.filter((other) => other !== id).length +
      ways.passkeys.filter((other) => other !== id).length;
    if (others === 0) throw new ConflictException(LAST_WAY_IN);
  }
}
