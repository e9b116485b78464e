import { AppConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { PerEmailThrottler, perEmailKey } from './throttlers';
import { RateLimitStorage } from './throttler-storage';
import { TooManyAttemptsException } from './too-many-attempts.exception';

/**
 * Counts against an account's per-email limit from a route whose body does not name the account (a password
 * change, a verification resend): the same counter as the throttler guard's, so an access token is no way
 * around it.
 */
@Injectable()
export class AccountAttempts {
  constructor(
    private readonly config: AppConfig,
    private readonly storage: RateLimitStorage,
  ) {}

  /** Counts one attempt at the account's password; a 429 (with its Retry-After) when over the login limit. */
  countLogin(email: string): Promise<void> {
    return this.count('login-email', email, this.config.throttle.login);
  }

  /** Counts one recovery mail to the account; a 429 when over the recovery limit. */
  countRecovery(email: string): Promise<void> {
    return this.count('recovery-email', email, this.config.throttle.recovery);
  }

  private async count(
    throttler: PerEmailThrottler,
    email: string,
    { limit, ttl }: { limit: number; ttl: number },
  ): Promise<void> {
    const ms = ttl * 1000;
    const record = await this.storage.increment(perEmailKey(throttler, email), ms, limit, ms, throttler);
    if (record.isBlocked) throw new TooManyAttemptsException(record.timeToBlockExpire);
  }
}
