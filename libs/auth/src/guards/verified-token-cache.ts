import { AuthUser } from '../tokens/token-types';

const MAX_ENTRIES = 50_000;

/**
 * Access tokens whose signature and claims were already verified, keyed by their exact text. Bounded: when
 * full, the oldest entry goes. A hit still honours the token's expiry.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { user: AuthUser; expiresAt: number }>();

  get(token: string): AuthUser | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.user;
  }

  set(token: string, user: AuthUser, expiresAt: number): void {
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { user, expiresAt });
  }
}
