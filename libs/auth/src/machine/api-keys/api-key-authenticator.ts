import { AppConfig } from '@gatehouse/config';
import { Injectable, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { SecurityEvents } from '../../security-events';
import { RateLimitStorage, WindowCount } from '../../throttling/throttler-storage';
import { TooManyAttemptsException } from '../../throttling/too-many-attempts.exception';
import { AuthUser } from '../../tokens/token-types';
import { isWellFormedApiKey } from './api-key-text';
import { ApiKeyUsage } from './api-key-usage';
import { ApiKeyVerdict, ApiKeyVerdicts } from './api-key-verdicts';

export const API_KEY_REFUSED = 'invalid, expired or revoked API key';

/** Database reads of API keys one client address may cause per minute (keys this instance has no verdict on). */
export const READS_PER_ADDRESS = 120;
const READS_WINDOW_MS = 60_000;

/**
 * `Authorization: Bearer gat_…`: the key's cached verdict (read from the database at most once a minute, and at
 * most READS_PER_ADDRESS times a minute per client address), its expiry, its own rate limit (shared through Redis
 * when REDIS_URL is set), and a note that it was used. A database outage while reading a verdict is a 503, never
 * a 401: a script must not give up its key over a blip.
 */
@Injectable()
export class ApiKeyAuthenticator {
  constructor(
    private readonly config: AppConfig,
    private readonly verdicts: ApiKeyVerdicts,
    private readonly usage: ApiKeyUsage,
    private readonly storage: RateLimitStorage,
    private readonly events: SecurityEvents,
  ) {}

  /** The caller the key acts as; `ip` is the client address (after TRUST_PROXY). */
  async authenticate(key: string, ip: string): Promise<AuthUser> {
    if (!isWellFormedApiKey(key)) throw new UnauthorizedException(API_KEY_REFUSED);
    const now = Date.now();
    const verdict = this.verdicts.cached(key, now) ?? (await this.read(key, ip));
    const { caller, keyId } = verdict;
    if (caller === undefined || keyId === undefined) {
      this.events.record('api_key.refused', {
        reason: verdict.refused,
        apiKeyId: keyId,
        userId: verdict.userId,
      });
      throw new UnauthorizedException(API_KEY_REFUSED);
    }
    if (verdict.expiresAt !== undefined && verdict.expiresAt <= now) {
      this.events.record('api_key.refused', { reason: 'expired', apiKeyId: keyId, userId: caller.id });
      throw new UnauthorizedException(API_KEY_REFUSED);
    }
    const throttled = this.throttle(keyId);
    if (throttled) await throttled;
    this.usage.used(keyId, verdict.lastUsedAt, now);
    return caller;
  }

  /**
   * A key this instance has no verdict on costs a database read: an address that makes up keys by the thousand
   * must not turn each into one. Such reads are counted per client address, and refused (429) past the limit;
   * a client using real keys needs one per key per minute.
   */
  private async read(key: string, ip: string): Promise<ApiKeyVerdict> {
    const { hits, resetsInMs } = await this.storage.countInWindow(`api-key-reads:${ip}`, READS_WINDOW_MS);
    if (hits > READS_PER_ADDRESS) throw new TooManyAttemptsException(Math.ceil(resetsInMs / 1000));
    try {
      return await this.verdicts.read(key);
    } catch {
      throw new ServiceUnavailableException('the API key could not be checked; try again');
    }
  }

  /** Over the key's own limit: 429. Counted here without a promise unless Redis counts (REDIS_URL). */
  private throttle(keyId: string): Promise<void> | void {
    const { limit, ttl } = this.config.throttle.apiKey;
    const count = this.storage.countInWindow(`api-key:${keyId}`, ttl * 1000);
    return count instanceof Promise
      ? count.then((known) => overLimit(known, limit))
      : overLimit(count, limit);
  }
}

function overLimit({ hits, resetsInMs }: WindowCount, limit: number): void {
  if (hits > limit) throw new TooManyAttemptsException(Math.ceil(resetsInMs / 1000));
}
