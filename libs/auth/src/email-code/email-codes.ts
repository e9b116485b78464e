import { Injectable } from '@nestjs/common';
import { createHmac, randomInt } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { KeyService } from '../keys/key.service';

/** Eight digits: 10^8 codes, of which five may be tried, within EMAIL_CODE_TTL, and throttled besides. */
export const CODE_DIGITS = 8;
/** Codes tried against one code, right or wrong: the fifth is the last. */
export const MAX_CODES_TRIED = 5;

/** A try at a live code: whether it was the code, and the account it was sent for (null: sign-up). */
export interface TriedCode {
  readonly matched: boolean;
  readonly userId: string | null;
}

/** The code as the user may type it: spaces and dashes between the digits are ignored. */
export function canonicalCode(typed: string): string {
  return typed.replace(/[\s-]/g, '');
}

/**
 * One live code per address, kept as an HMAC under a key derived from the refresh secret (a stolen table cannot
 * be searched through 10^8 codes without that key). Issuing replaces the address's row, so the older code dies
 * in the same statement; trying a code counts the attempt and uses the code up in one statement, so however
 * many tries arrive at once, at most five are ever checked and one succeeds.
 */
@Injectable()
export class EmailCodes {
  private readonly key: Buffer;

  constructor(keys: KeyService) {
    this.key = keys.derivedKey('email code');
  }

  /** A fresh code for the address, in the caller's transaction (the one that queues its mail). */
  async issue(
    db: EntityManager,
    email: string,
    userId: string | null,
    ttlSeconds: number,
  ): Promise<{ code: string; expiresAt: Date }> {
    const code = randomInt(0, 10 ** CODE_DIGITS)
      .toString()
      .padStart(CODE_DIGITS, '0');
    const [row] = await db.query<{ expires_at: Date }[]>(
      `INSERT INTO email_codes (email, user_id, code_hash, attempts, created_at, expires_at, consumed_at)
       VALUES ($1, $2, $3, 0, now(), now() + make_interval(secs => $4), NULL)
       ON CONFLICT (email) DO UPDATE
         SET user_id = EXCLUDED.user_id, code_hash = EXCLUDED.code_hash, attempts = 0,
             created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, consumed_at = NULL
       RETURNING expires_at`,
      [email, userId, this.hashOf(email, code), ttlSeconds],
    );
    return { code, expiresAt: new Date(row.expires_at) };
  }

  /**
   * Counts one try against the address's live code and, when it is the code, uses it up; undefined when there
   * is no live code (none sent, used, expired, replaced, or five tries spent). The row lock orders concurrent
   * tries, and each re-reads the count the one before it left.
   */
  async tryCode(db: EntityManager, email: string, typed: string): Promise<TriedCode | undefined> {
    const [rows] = await db.query<[{ user_id: string | null; matched: boolean }[], number]>(
      `UPDATE email_codes
          SET attempts = attempts + 1, consumed_at = CASE WHEN code_hash = $2 THEN now() END
        WHERE email = $1 AND consumed_at IS NULL AND expires_at > now() AND attempts < $3
        RETURNING user_id, consumed_at IS NOT NULL AS matched`,
      [email, this.hashOf(email, canonicalCode(typed)), MAX_CODES_TRIED],
    );
    const row = rows[0];
    return row && { matched: row.matched, userId: row.user_id };
  }

  /** Binds a sign-up code's row to the account its use created, so deletion finds it with the account's rows. */
  async claim(db: EntityManager, email: string, userId: string): Promise<void> {
    await db.query('UPDATE email_codes SET user_id = $2 WHERE email = $1', [email, userId]);
  }

  private hashOf(email: string, code: string): Buffer {
    return createHmac('sha256', this.key).update(`${email}\n${code}`).digest();
  }
}
