import { AppConfig } from '@gatehouse/config';
import { ConflictException, Injectable } from '@nestjs/common';
import { Secret, TOTP } from 'otpauth';
import { EntityManager } from 'typeorm';
import type { ChangeScope } from '../changes/account-changes';
import { MfaSecrets } from './mfa-secrets';

// RFC 6238 as every authenticator app reads it.
const PERIOD_SECONDS = 30;
const DIGITS = 6;
const ALGORITHM = 'SHA1';
const CODE_SHAPE = /^\d{6}$/;

function totpFor(secret: string, label = '', issuer = ''): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  });
}

/**
 * The 30-second step a code is right for: the current one or one either side (clock drift), undefined for a
 * wrong code.
 */
export function stepOfCode(secret: string, code: string, now = Date.now()): number | undefined {
  if (!CODE_SHAPE.test(code)) return undefined;
  const delta = totpFor(secret).validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? undefined : Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
}

/** The authenticator app of a user: its encrypted secret and the last step it accepted. */
@Injectable()
export class TotpAuthenticator {
  constructor(
    private readonly config: AppConfig,
    private readonly secrets: MfaSecrets,
  ) {}

  async isOn(db: EntityManager, userId: string): Promise<boolean> {
    const rows = await db.query<unknown[]>(
      'SELECT 1 FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL',
      [userId],
    );
    return rows.length === 1;
  }

  /** A new pending secret (replacing a pending one); 409 when the factor is already on. */
  async begin(
    db: EntityManager,
    userId: string,
    email: string,
  ): Promise<{ secret: string; otpauthUrl: string }> {
    const secret = new Secret({ size: 20 }).base32;
    const rows = await db.query<unknown[]>(
      `INSERT INTO mfa_totp (user_id, secret) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = now(), used_steps = '{}'
         WHERE mfa_totp.confirmed_at IS NULL
       RETURNING user_id`,
      [userId, this.secrets.encrypt(userId, secret)],
    );
    if (rows.length === 0) throw new ConflictException('the second factor is already on');
    return { secret, otpauthUrl: totpFor(secret, email, this.config.mfa.totpIssuer).toString() };
  }

  /**
   * Turns the pending secret on with a first right code (which counts as used); false for a wrong code or when
   * nothing is pending.
   */
  async confirm({ db, user }: ChangeScope, code: string): Promise<boolean> {
    const userId = user.id;
    const [pending] = await db.query<{ secret: string }[]>(
      'SELECT secret FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NULL FOR UPDATE',
      [userId],
    );
    const secret = pending && this.secrets.decrypt(userId, pending.secret);
    const step = secret === undefined ? undefined : stepOfCode(secret, code);
    if (step === undefined) return false;
    const [, updated] = await db.query<[unknown, number]>(
      `UPDATE mfa_totp SET confirmed_at = now(), used_steps = ARRAY[$2::bigint]
        WHERE user_id = $1 AND confirmed_at IS NULL AND secret = $3`,
      [userId, step, pending.secret],
    );
    return updated === 1;
  }

  /**
   * Accepts a code once: only for a step not accepted before, decided by one conditional UPDATE (a concurrent
   * one waits for the row and then sees the step taken), so two submissions of one code give one success.
   * Steps older than the window are forgotten: their codes are refused anyway.
   */
  async accept(db: EntityManager, userId: string, code: string): Promise<boolean> {
    const [factor] = await db.query<{ secret: string }[]>(
      'SELECT secret FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL',
      [userId],
    );
    const secret = factor && this.secrets.decrypt(userId, factor.secret);
    const step = secret === undefined ? undefined : stepOfCode(secret, code);
    if (step === undefined) return false;
    const [, updated] = await db.query<[unknown, number]>(
      `UPDATE mfa_totp
          SET used_steps = array_append(ARRAY(SELECT s FROM unnest(used_steps) s WHERE s >= $2::bigint - 2), $2::bigint)
        WHERE user_id = $1 AND confirmed_at IS NOT NULL AND NOT ($2::bigint = ANY (used_steps))`,
      [userId, step],
    );
    return updated === 1;
  }

  async remove({ db, user }: ChangeScope): Promise<void> {
    await db.query('DELETE FROM mfa_totp WHERE user_id = $1', [user.id]);
  }
}
