import { Injectable } from '@nestjs/common';
import { AuthUser } from '../tokens/token-types';

const MAX_ENTRIES = 50_000;

/**
 * Access tokens whose signature and claims were already verified, keyed by their exact text. Bounded: when
 * full, the oldest entry goes. A hit still honours the token's expiry. Counts its hits and misses as plain
 * numbers, read when metrics are scraped: nothing more on the hot path.
 */
@Injectable()
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { user: AuthUser; expiresAt: number }>();
  private hitCount = 0;
  private missCount = 0;

  get(token: string): AuthUser | undefined {
    const entry = this.entries.get(token);
    if (!entry) {
      this.missCount++;
      return undefined;
    }
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(token);
      this.missCount++;
      return undefined;
    }
    this.hitCount++;
    return entry.user;
  }

  get hits(): number {
    return this.hitCount;
  }

  get misses(): number {
    return this.missCount;
  }

  get size(): number {
    return this.entries.size;
  }

  set(token: string, user: AuthUser, expiresAt: number): void {
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { user, expiresAt });
  }
}
