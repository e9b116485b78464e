/**
 * The statements of one rotation, taken from what the server itself sent during the refresh warm-up (its `pg`
 * clients are counted statement by statement), so the ceiling script runs exactly TokenService's SQL, whatever
 * its current text. Parameters are bound by position as TokenService binds them today:
 * lock ($1 session, $2 token), mark ($1 token, $2 now), insert ($1 id, $2 session, $3 parent, $4 hash,
 * $5 issued at, $6 expires at), touch ($1 session, $2 now, $3 expires at, $4 user agent, $5 ip).
 */

export interface RotationStatements {
  begin: string;
  lock: string;
  mark: string;
  insert: string;
  touch: string;
  commit: string;
}

const SHAPES: Record<keyof RotationStatements, RegExp> = {
  begin: /^(START TRANSACTION|BEGIN)\b/i,
  lock: /^SELECT .* FROM sessions .* FOR UPDATE\b/i,
  mark: /^UPDATE refresh_tokens SET rotated_at\b/i,
  insert: /^INSERT INTO refresh_tokens\b/i,
  touch: /^UPDATE sessions SET last_used_at\b/i,
  commit: /^COMMIT\b/i,
};

/**
 * Picks the rotation's statements out of the server's statement counts over `rotations` successful refreshes:
 * each must have been sent about once per rotation. Throws, naming what is missing, when TokenService has
 * changed shape so much that the ceiling script would measure something else.
 */
export function pickRotationStatements(
  sent: { text: string; count: number }[],
  rotations: number,
): RotationStatements {
  const picked: Partial<RotationStatements> = {};
  const problems: string[] = [];
  for (const [role, shape] of Object.entries(SHAPES) as [keyof RotationStatements, RegExp][]) {
    const candidates = sent.filter((s) => shape.test(s.text) && s.count >= rotations * 0.9);
    if (candidates.length !== 1) {
      problems.push(`${role}: ${candidates.length} statements of that shape sent once per rotation`);
      continue;
    }
    picked[role] = candidates[0].text;
  }
  if (problems.length > 0) {
    throw new Error(
      `cannot find TokenService's rotation statements among what the server sent (${problems.join('; ')}):\n` +
        sent.map((s) => `  ${s.count} × ${s.text}`).join('\n'),
    );
  }
  return picked as RotationStatements;
}

/** Families with more than one unrotated token: the invariant a rotation race would break. */
export const DOUBLE_LIVE_TOKENS = `
  SELECT count(*)::int AS families FROM (
    SELECT session_id FROM refresh_tokens WHERE rotated_at IS NULL GROUP BY session_id HAVING count(*) > 1
  ) AS doubled`;
