import { AppConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { LOGIN_EMAIL_THROTTLER, loginEmailKey } from './throttlers';
import { RateLimitStorage } from './throttler-storage';
import { TooManyAttemptsException } from './too-many-attempts.exception';

/**
 * Counts an attempt at an account's password made outside the login route (a password change), against the
 * same per-email limit as logins: an access token is no licence to guess the password.
 */
@Injectable()
export class LoginAttempts {
  constructor(
    private readonly config: AppConfig,
    private readonly storage: RateLimitStorage,
  ) {}

  /** Counts one attempt; throws a 429 (with its Retry-After) when the account is over its limit. */
  async count(email: string): Promise<void> {
    const { limit, ttl } = this.config.throttle.login;
    const ms = ttl * 1000;
    const record = await this.storage.increment(loginEmailKey(email), ms, limit, ms, LOGIN_EMAIL_THROTTLER);
    if (record.isBlocked) throw new TooManyAttemptsException(record.timeToBlockExpire);
  }
}
