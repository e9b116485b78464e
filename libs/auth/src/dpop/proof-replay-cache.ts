import { Injectable } from '@nestjs/common';
import { RateLimitStorage } from '../throttling/throttler-storage';

const MAX_ENTRIES = 200_000;

/**
 * The `jti`s of proofs already accepted, for as long as their `iat` keeps them acceptable. In memory always;
 * shared through Redis when REDIS_URL is set, so a proof replayed on another instance is refused too. When Redis
 * does not answer, each instance refuses what it has seen itself.
 */
@Injectable()
export class ProofReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly shared: RateLimitStorage) {}

  /** True the first time a key's proof id is presented within `ttlMs`; false for a replay. */
  async firstUse(jkt: string, jti: string, ttlMs: number): Promise<boolean> {
    const key = `${jkt}:${jti}`;
    const now = Date.now();
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    this.remember(key, now + ttlMs, now);
    return (await this.shared.markFirstUse(`dpop:${key}`, ttlMs)) !== false;
  }

  private remember(key: string, until: number, now: number): void {
    if (this.seen.size >= MAX_ENTRIES) {
      // Forget what has expired; when all is live, the oldest (its proof is the nearest to expiring) goes.
      for (const [old, expiry] of this.seen) if (expiry <= now) this.seen.delete(old);
      if (this.seen.size >= MAX_ENTRIES) this.seen.delete(this.seen.keys().next().value!);
    }
    this.seen.set(key, until);
  }
}
