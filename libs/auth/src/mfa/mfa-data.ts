import { ownedRows, UserDataPart } from '@gatehouse/users';
import { EntityManager } from 'typeorm';

const totp = ownedRows({ name: 'totp', table: 'mfa_totp', ownerColumn: 'user_id' });
const recoveryCodes = ownedRows({
  name: 'recoveryCodes',
  table: 'mfa_recovery_codes',
  ownerColumn: 'user_id',
});

/**
 * What the second factor keeps about a user. The export says whether TOTP is on and since when, and how many
 * recovery codes are left: never the secret, a code or a hash. The challenges between a password and a code, and
 * the wrong codes counted against the user, are exported by their times only.
 */
export const mfaData: UserDataPart[] = [
  {
    ...totp,
    export: async (db: EntityManager, userId: string) => {
      const [row] = await db.query<{ confirmed_at: Date | null }[]>(
        'SELECT confirmed_at FROM mfa_totp WHERE user_id = $1',
        [userId],
      );
      const confirmedAt = row?.confirmed_at ?? null;
      return { enabled: confirmedAt !== null, confirmedAt };
    },
  },
  {
    ...recoveryCodes,
    export: async (db: EntityManager, userId: string) => {
      const [{ unused }] = await db.query<{ unused: number }[]>(
        'SELECT count(*)::int AS unused FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL',
        [userId],
      );
      return { unused };
    },
  },
  ownedRows({
    name: 'secondFactorChallenges',
    table: 'mfa_challenges',
    ownerColumn: 'user_id',
    columns: {
      amr: 'amr',
      attempts: 'attempts',
      createdAt: 'created_at',
      expiresAt: 'expires_at',
      consumedAt: 'consumed_at',
    },
  }),
  ownedRows({
    name: 'wrongCodes',
    table: 'mfa_failures',
    ownerColumn: 'user_id',
    columns: { failedAt: 'failed_at' },
    newestFirstBy: 'failed_at',
  }),
];
