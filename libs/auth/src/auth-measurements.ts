import { Injectable } from '@nestjs/common';
import { VerifiedTokenCache } from './guards/verified-token-cache';
import { RevocationService } from './revocation/revocation.service';

/** The numbers the bearer guard's in-memory state can report, read when metrics are scraped. */
@Injectable()
export class AuthMeasurements {
  constructor(
    private readonly revocations: RevocationService,
    private readonly verifiedTokens: VerifiedTokenCache,
  ) {}

  /** Revoked sessions held in memory (each until its access tokens have expired). */
  get revokedSessions(): number {
    return this.revocations.size;
  }

  /** Bearer tokens answered from the cache of verified tokens, and those that had to be verified. */
  get verifiedTokenCache(): { hits: number; misses: number; entries: number } {
    const cache = this.verifiedTokens;
    return { hits: cache.hits, misses: cache.misses, entries: cache.size };
  }
}
