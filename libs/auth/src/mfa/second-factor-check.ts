import { AppConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SecurityEvents } from '../security-events';
import { TooManyAttemptsException } from '../throttling/too-many-attempts.exception';
import { RecoveryCodes } from './recovery-codes';
import { TotpAuthenticator } from './totp-authenticator';

/** What a user typed as their second factor: a code from the app, or one of their recovery codes. */
export interface SecondFactorAnswer {
  code?: string;
  recoveryCode?: string;
}

export type SecondFactorMethod = 'totp' | 'recovery_code';

/**
 * Checks a second-factor answer wherever one is asked (the login step, turning the factor off, new recovery
 * codes, a password reset, a reauthentication). Wrong answers are counted per user across all of them
 * (THROTTLE_MFA_LIMIT per THROTTLE_MFA_TTL): over the limit every answer is a 429, the right one included.
 */
@Injectable()
export class SecondFactorCheck {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly totp: TotpAuthenticator,
    private readonly recoveryCodes: RecoveryCodes,
    private readonly events: SecurityEvents,
  ) {}

  /**
   * The method the answer proved, or undefined for a wrong (or replayed, or used) answer. The attempt is reserved
   * before the code is checked (429 when the user has none left), and given back only when the code was right:
   * however many arrive at once, on however many instances, at most THROTTLE_MFA_LIMIT wrong ones are checked.
   */
  async prove(userId: string, answer: SecondFactorAnswer): Promise<SecondFactorMethod | undefined> {
    const attempt = await this.reserveAttempt(userId);
    const db = this.dataSource.manager;
    let method: SecondFactorMethod | undefined;
    if (answer.code !== undefined) {
      method = (await this.totp.accept(db, userId, answer.code)) ? 'totp' : undefined;
    } else if (answer.recoveryCode !== undefined) {
      method = (await this.recoveryCodes.consume(db, userId, answer.recoveryCode))
        ? 'recovery_code'
        : undefined;
    }
    if (!method) {
      // The reservation stays: it is the failure, counted over THROTTLE_MFA_TTL.
      this.events.record('mfa.failed', {
        userId,
        reason: answer.code !== undefined ? 'wrong_code' : 'wrong_recovery_code',
      });
      return undefined;
    }
    await this.dataSource.query('DELETE FROM mfa_failures WHERE id = $1', [attempt]);
    if (method === 'recovery_code') this.events.record('mfa.recovery_code_used', { userId });
    return method;
  }

  /**
   * Counts the attempt as a failure until it proves right, under a per-user lock so that concurrent attempts
   * are counted one after the other; a 429 when the newest `limit` failures of the window are all there.
   */
  private async reserveAttempt(userId: string): Promise<string> {
    const { limit, ttl } = this.config.throttle.mfa;
    return this.dataSource.transaction(async (db) => {
      await db.query(`SELECT pg_advisory_xact_lock(hashtextextended('mfa_attempts:' || $1, 0))`, [userId]);
      // The newest `limit` failures of the window: once they are `limit`, the oldest of them decides the wait.
      const [{ failures, retry_after }] = await db.query<{ failures: number; retry_after: number | null }[]>(
        `SELECT count(*)::int AS failures,
                ceil(EXTRACT(EPOCH FROM (min(failed_at) + make_interval(secs => $2) - now())))::int AS retry_after
           FROM (SELECT failed_at FROM mfa_failures
                  WHERE user_id = $1 AND failed_at > now() - make_interval(secs => $2)
                  ORDER BY failed_at DESC LIMIT $3) recent`,
        [userId, ttl, limit],
      );
      if (failures >= limit) throw new TooManyAttemptsException(Math.max(1, retry_after ?? ttl));
      const [{ id }] = await db.query<{ id: string }[]>(
        'INSERT INTO mfa_failures (user_id) VALUES ($1) RETURNING id',
        [userId],
      );
      return id;
    });
  }
}
