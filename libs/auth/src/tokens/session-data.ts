import { ownedRows, UserDataPart } from '@gatehouse/users';
import { EntityManager } from 'typeorm';
import { RevocationService } from '../revocation/revocation.service';

const sessions = ownedRows({
  name: 'sessions',
  table: 'sessions',
  ownerColumn: 'user_id',
  columns: {
    id: 'id',
    createdAt: 'created_at',
    lastUsedAt: 'last_used_at',
    expiresAt: 'expires_at',
    revokedAt: 'revoked_at',
    revokedReason: 'revoked_reason',
    ip: 'ip',
    userAgent: 'user_agent',
    amr: 'amr',
    authTime: 'auth_time',
  },
});

/**
 * A user's sessions (never their refresh tokens' hashes). Erasing them keeps, in `revoked_sessions`, every
 * revocation whose access tokens may still be alive: an instance that starts after the rows are gone must still
 * refuse those tokens (TokenService.loadRecentRevocations reads both tables).
 */
export function sessionData(revocations: RevocationService): UserDataPart[] {
  return [
    {
      ...sessions,
      erase: async (db: EntityManager, userId: string) => {
        await db.query(
          `INSERT INTO revoked_sessions (session_id, revoked_at)
           SELECT id, revoked_at FROM sessions
            WHERE user_id = $1 AND revoked_at > now() - $2 * interval '1 second'
           ON CONFLICT (session_id) DO NOTHING`,
          [userId, revocations.horizonSeconds],
        );
        await sessions.erase(db, userId);
      },
    },
    {
      name: 'refreshTokens',
      tables: ['refresh_tokens'],
      erase: async (db: EntityManager, userId: string) => {
        await db.query(
          'DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1)',
          [userId],
        );
      },
    },
  ];
}
