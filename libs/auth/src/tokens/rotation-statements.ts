import { NamedStatement } from '@gatehouse/database';
import { createHash } from 'node:crypto';
import type { ClientInfo } from './token.service';
import { AuthMethod, RefreshClaims } from './token-types';

/**
 * The statements of a refresh, apart from the service that runs them: the careful path's locking read and the
 * common case's one statement. TokenService is the only code that uses them.
 */

export interface RotationRow {
  user_row: Record<string, unknown>;
  disabled_at: Date | null;
  user_credentials_version: number;
  session_credentials_version: number;
  session_created_at: Date;
  revoked_at: Date | null;
  amr: AuthMethod[];
  auth_time: Date;
  dpop_jkt: string | null;
  dpop_bindable: boolean;
  organization_id: string | null;
  token_id: string;
  token_hash: string;
  token_expires_at: Date;
  token_rotated_at: Date | null;
  now: Date;
}

export interface LiveTokenRow {
  id: string;
  parent_id: string | null;
  issued_at: Date;
  expires_at: Date;
}

// The session and the presented token are both locked: every refresh of one family queues behind the one before
// it. Both must be locked, not only the session: after waiting, PostgreSQL re-reads the rows a query locks, but
// keeps the version it first saw of any other joined row, and a stale `rotated_at` would look rotatable.
// The user row is not locked (a credentials change locks it, then the sessions: locking it here could deadlock);
// a change that commits after this read revokes the session in its own transaction, which waits for this one.
// The time is the database's clock: every instance compares the times it stores against one clock.
export const SELECT_FOR_ROTATION = `
  SELECT to_jsonb(u) AS user_row, u.disabled_at, u.credentials_version AS user_credentials_version,
         s.credentials_version AS session_credentials_version, s.created_at AS session_created_at,
         s.revoked_at, s.amr, s.auth_time, s.dpop_jkt, s.dpop_bindable, s.organization_id,
         t.id AS token_id, t.hash AS token_hash, t.expires_at AS token_expires_at, t.rotated_at AS token_rotated_at,
         clock_timestamp() AS now
    FROM sessions s
    JOIN users u ON u.id = s.user_id
    JOIN refresh_tokens t ON t.id = $2 AND t.session_id = s.id
   WHERE s.id = $1
     FOR UPDATE OF s, t`;

/**
 * The common case of a refresh in one round trip: lock the session and the presented token, check everything a
 * rotation depends on (the token live, unrotated, unexpired, its hash; the session unrevoked and within
 * SESSION_MAX_AGE of the child's expiry; the user enabled, on the session's credentials version, verified when
 * required; a member of the organization asked for), mark the token rotated, insert the already-signed child,
 * touch the session, and return what the response needs, with the member's role in the active organization
 * (the one asked for, or the session's; none once the membership is gone, which the session then forgets). The
 * membership is read by its primary key: the one table of the organizations that a refresh reads. Every check is in the locking query's WHERE: PostgreSQL re-checks it against the newest row
 * versions after waiting for a lock, so of two concurrent refreshes of one token the second finds it rotated and
 * returns nothing, and the partial unique index still holds one live token per family. No row back means "not
 * the common case": rotate() then lets the careful transaction decide (grace, reuse, the reason for a refusal).
 */
export const ROTATE_IN_ONE_STATEMENT: NamedStatement = {
  name: 'gatehouse_rotate_refresh_token',
  text: `
  WITH locked AS (
    SELECT s.user_id, s.credentials_version, s.amr, s.auth_time, s.created_at, s.dpop_jkt, t.id AS token_id,
           CASE WHEN $16::boolean THEN $15::uuid ELSE s.organization_id END AS org_id
      FROM sessions s
      JOIN refresh_tokens t ON t.id = $2 AND t.session_id = s.id
     WHERE s.id = $1 AND s.user_id = $3 AND s.revoked_at IS NULL
       AND t.rotated_at IS NULL AND t.hash = $4 AND t.expires_at > now()
       AND (s.dpop_jkt = $13::text
            OR (s.dpop_jkt IS NULL AND NOT $14::boolean AND ($13::text IS NULL OR NOT s.dpop_bindable)))
       FOR UPDATE OF s, t
  ), eligible AS (
    SELECT l.token_id, l.amr, l.auth_time, l.created_at, l.dpop_jkt, to_jsonb(u) AS user_row,
           m.organization_id AS org_id, m.role AS org_role
      FROM locked l
      JOIN users u ON u.id = l.user_id
      LEFT JOIN org_memberships m ON m.organization_id = l.org_id AND m.user_id = l.user_id
     WHERE u.disabled_at IS NULL AND u.credentials_version = l.credentials_version
       AND (NOT $16::boolean OR l.org_id IS NULL OR m.role IS NOT NULL)
       AND (NOT $5::boolean OR u.email_verified_at IS NOT NULL)
       AND ($6::integer IS NULL OR l.created_at + make_interval(secs => $6::integer) >= $9::timestamptz)
       AND $10::timestamptz BETWEEN now() - interval '5 seconds' AND now() + interval '5 seconds'
  ), rotated AS (
    UPDATE refresh_tokens SET rotated_at = now()
     WHERE id = (SELECT token_id FROM eligible) AND rotated_at IS NULL
     RETURNING id
  ), child AS (
    INSERT INTO refresh_tokens (id, session_id, parent_id, hash, issued_at, expires_at)
    SELECT $7, $1, r.id, $8, $10, $9 FROM rotated r
     RETURNING session_id
  ), touched AS (
    UPDATE sessions SET last_used_at = now(), expires_at = $9,
           user_agent = COALESCE($11, user_agent), ip = COALESCE($12, ip),
           organization_id = (SELECT org_id FROM eligible)
     WHERE id = (SELECT session_id FROM child)
     RETURNING id
  )
  SELECT e.user_row, e.amr, e.auth_time, e.created_at, e.dpop_jkt, e.org_id, e.org_role FROM eligible e
   WHERE EXISTS (SELECT 1 FROM touched)`,
};

export interface RotatedRow {
  user_row: Record<string, unknown>;
  amr: AuthMethod[];
  auth_time: Date;
  created_at: Date;
  dpop_jkt: string | null;
  org_id: string | null;
  org_role: string | null;
}

/** What one rotation binds to ROTATE_IN_ONE_STATEMENT: the presented token, its already-signed child, the rules. */
export interface OneStatementRotation {
  presented: RefreshClaims;
  child: { tokenId: string; token: string; issuedAt: number; expiresAt: number };
  requireVerification: boolean;
  sessionMaxAge: number | undefined;
  client: ClientInfo;
  /** The organization to make active; null to leave it; undefined to keep the session's. */
  organization: string | null | undefined;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** ROTATE_IN_ONE_STATEMENT's parameters, $1 to $16, in order (tokens stored by their SHA-256, times in seconds). */
export function oneStatementParams({
  presented,
  child,
  requireVerification,
  sessionMaxAge,
  client,
  organization,
}: OneStatementRotation): unknown[] {
  return [
    presented.sessionId,
    presented.tokenId,
    presented.userId,
    sha256(presented.token),
    requireVerification,
    sessionMaxAge ?? null,
    child.tokenId,
    sha256(child.token),
    new Date(child.expiresAt * 1000),
    new Date(child.issuedAt * 1000),
    client.userAgent?.slice(0, 512) ?? null,
    client.ip?.slice(0, 64) ?? null,
    client.proofKey ?? null,
    presented.source === 'body',
    organization ?? null,
    organization !== undefined,
  ];
}
