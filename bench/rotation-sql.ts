/**
 * The SQL the rotation ceilings send with bare `pg`.
 *
 * - The **legacy** transaction is fixed here, as TokenService sent it for every refresh before the common case
 *   became one statement: six round trips, unnamed, as TypeORM sends them. It is the baseline the new path is
 *   compared with, so it never follows TokenService's SQL. Parameters: lock ($1 session, $2 token), mark
 *   ($1 token, $2 now), insert ($1 id, $2 session, $3 parent, $4 hash, $5 issued at, $6 expires at), touch
 *   ($1 session, $2 now, $3 expires at, $4 user agent, $5 ip).
 * - The **one statement** is taken from what the server itself sent during the refresh warm-up (its `pg` clients
 *   count statement by statement), so its ceiling runs exactly TokenService's SQL, whatever its current text.
 *   Parameters are bound as TokenService binds them: $1 session, $2 presented token id, $3 user, $4 presented
 *   token's hash, $5 verification required, $6 SESSION_MAX_AGE seconds, $7 child id, $8 child hash, $9 child
 *   expiry, $10 child issued at, $11 user agent, $12 ip, $13 the request's DPoP key thumbprint (null: none),
 *   $14 whether the token came in a native client's body.
 */

export const LEGACY_ROTATION = {
  begin: 'START TRANSACTION',
  lock: `
  SELECT to_jsonb(u) AS user_row, u.disabled_at, u.credentials_version AS user_credentials_version,
         s.credentials_version AS session_credentials_version, s.created_at AS session_created_at,
         s.revoked_at, s.amr, s.auth_time,
         t.id AS token_id, t.hash AS token_hash, t.expires_at AS token_expires_at, t.rotated_at AS token_rotated_at,
         clock_timestamp() AS now
    FROM sessions s
    JOIN users u ON u.id = s.user_id
    JOIN refresh_tokens t ON t.id = $2 AND t.session_id = s.id
   WHERE s.id = $1
     FOR UPDATE OF s, t`,
  mark: 'UPDATE refresh_tokens SET rotated_at = $2 WHERE id = $1 AND rotated_at IS NULL',
  insert: `INSERT INTO refresh_tokens (id, session_id, parent_id, hash, issued_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6)`,
  touch: `UPDATE sessions SET last_used_at = $2, expires_at = $3, user_agent = COALESCE($4, user_agent), ip = COALESCE($5, ip)
           WHERE id = $1`,
  commit: 'COMMIT',
} as const;

const ONE_STATEMENT_SHAPE = /^WITH locked AS \(.*FOR UPDATE OF s, t.*INSERT INTO refresh_tokens\b/i;

/**
 * The server's one rotation statement among its statement counts over `rotations` successful refreshes: it must
 * have been sent about once per rotation. Throws, listing what was sent, when TokenService has changed shape so
 * much that the ceiling would measure something else.
 */
export function pickRotationStatement(sent: { text: string; count: number }[], rotations: number): string {
  const candidates = sent.filter((s) => ONE_STATEMENT_SHAPE.test(s.text) && s.count >= rotations * 0.9);
  if (candidates.length !== 1) {
    throw new Error(
      `cannot find TokenService's rotation statement among what the server sent (${candidates.length} of its ` +
        `shape sent once per rotation):\n` +
        sent.map((s) => `  ${s.count} × ${s.text}`).join('\n'),
    );
  }
  return candidates[0].text;
}

/** Families with more than one unrotated token: the invariant a rotation race would break. */
export const DOUBLE_LIVE_TOKENS = `
  SELECT count(*)::int AS families FROM (
    SELECT session_id FROM refresh_tokens WHERE rotated_at IS NULL GROUP BY session_id HAVING count(*) > 1
  ) AS doubled`;
