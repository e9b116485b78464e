import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { EmailTokenPurpose } from './entities/email-token.entity';

/** What a consumed link was issued for. */
export interface ConsumedToken {
  userId: string;
  email: string;
  sessionId: string | null;
}

interface TokenRow {
  user_id: string;
  email: string;
  session_id: string | null;
}

const consumedFrom = (row: TokenRow): ConsumedToken => ({
  userId: row.user_id,
  email: row.email,
  sessionId: row.session_id,
});

const hashOf = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The shape of a token we issue: 32 random bytes, base64url. Anything else is refused without a query. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43,128}$/;

/**
 * One-time email links. A token is 32 random bytes (base64url) of which only the SHA-256 is stored, bound to a
 * purpose, a user and an address, and consumed by one conditional UPDATE: two concurrent uses give one success.
 */
@Injectable()
export class EmailTokens {
  /** Issues a link, in the caller's transaction; the user's earlier live links of that purpose stop working. */
  async issue(
    db: EntityManager,
    input: {
      userId: string;
      purpose: EmailTokenPurpose;
      email: string;
      ttlSeconds: number;
      sessionId?: string;
    },
  ): Promise<{ token: string; expiresAt: Date }> {
    await db.query(
      `UPDATE email_tokens SET consumed_at = now() WHERE user_id = $1 AND purpose = $2 AND consumed_at IS NULL`,
      [input.userId, input.purpose],
    );
    const token = randomBytes(32).toString('base64url');
    const [row] = await db.query<{ expires_at: Date }[]>(
      `INSERT INTO email_tokens (user_id, purpose, token_hash, email, session_id, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 second') RETURNING expires_at`,
      [input.userId, input.purpose, hashOf(token), input.email, input.sessionId ?? null, input.ttlSeconds],
    );
    return { token, expiresAt: new Date(row.expires_at) };
  }

  /**
   * Ends every outstanding reset and email-change link of the user, in the caller's transaction: a change to how
   * the account is entered voids what was asked before it. Verification links stay (they prove an address that
   * is still the account's, or nothing).
   */
  async endAccountLinks(db: EntityManager, userId: string): Promise<void> {
    await db.query(
      `UPDATE email_tokens SET consumed_at = now()
        WHERE user_id = $1 AND purpose IN ('password_reset', 'email_change') AND consumed_at IS NULL`,
      [userId],
    );
  }

  /** Whose live link of this purpose the token is, without using it up (to check what its use depends on). */
  async peek(
    db: EntityManager,
    token: string,
    purpose: EmailTokenPurpose,
  ): Promise<ConsumedToken | undefined> {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    const [row] = await db.query<TokenRow[]>(
      `SELECT user_id, email, session_id FROM email_tokens
        WHERE token_hash = $1 AND purpose = $2 AND consumed_at IS NULL AND expires_at > now()`,
      [hashOf(token), purpose],
    );
    return row && consumedFrom(row);
  }

  /** Uses the token up, atomically; undefined when it is unknown, used, expired or of another purpose. */
  async consume(
    db: EntityManager,
    token: string,
    purpose: EmailTokenPurpose,
  ): Promise<ConsumedToken | undefined> {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    const [rows] = await db.query<[TokenRow[], number]>(
      `UPDATE email_tokens SET consumed_at = now()
        WHERE token_hash = $1 AND purpose = $2 AND consumed_at IS NULL AND expires_at > now()
        RETURNING user_id, email, session_id`,
      [hashOf(token), purpose],
    );
    return rows[0] && consumedFrom(rows[0]);
  }
}
