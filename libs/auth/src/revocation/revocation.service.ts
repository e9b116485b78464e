import { AppConfig } from '@gatehouse/config';
import { Injectable, OnModuleDestroy } from '@nestjs/common';

const SWEEP_INTERVAL_MS = 60_000;
// Tolerates clocks that disagree a little between the instance that issued a token and the one checking it.
const CLOCK_SKEW_MS = 60_000;

/**
 * The ids of revoked sessions (and deleted service clients), and the memberships whose role changed, in memory,
 * so the bearer guard can refuse their access tokens without a database read. An entry is kept for one access-token lifetime after the revocation: every
 * access token of that session was issued before it and has expired by then.
 */
@Injectable()
export class RevocationService implements OnModuleDestroy {
  private readonly revoked = new Map<string, number>();
  /** `<organization id> <user id>` → the role the member holds since `at` (null: no longer a member). */
  private readonly memberships = new Map<string, { role: string | null; at: number; forgetAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly config: AppConfig) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** Records revocations made at `revokedAt` (here or on another instance). */
  add(sessionIds: Iterable<string>, revokedAt: Date = new Date()): void {
    const forgetAt = revokedAt.getTime() + this.longestTokenLifeSeconds * 1000 + CLOCK_SKEW_MS;
    if (forgetAt <= Date.now()) return;
    for (const id of sessionIds) {
      if ((this.revoked.get(id) ?? 0) < forgetAt) this.revoked.set(id, forgetAt);
    }
  }

  isRevoked(sessionId: string): boolean {
    const forgetAt = this.revoked.get(sessionId);
    return forgetAt !== undefined && forgetAt > Date.now();
  }

  /**
   * Records that the user holds `role` in the organization since `at` (null: a member no more): their access
   * tokens claiming another role there are refused until those can have expired. Of two changes, the later wins
   * whichever is heard first.
   */
  changeMembership(organizationId: string, userId: string, role: string | null, at: Date): void {
    const forgetAt = at.getTime() + this.longestTokenLifeSeconds * 1000 + CLOCK_SKEW_MS;
    if (forgetAt <= Date.now()) return;
    const key = `${organizationId} ${userId}`;
    const known = this.memberships.get(key);
    if (known && known.at > at.getTime()) return;
    this.memberships.set(key, { role, at: at.getTime(), forgetAt });
  }

  /** Whether an access token's claim that the user holds `role` in the organization may still be true. */
  holdsRole(organizationId: string, userId: string, role: string): boolean {
    const known = this.memberships.get(`${organizationId} ${userId}`);
    return known === undefined || known.role === role || known.forgetAt <= Date.now();
  }

  get size(): number {
    return this.revoked.size;
  }

  /** How far back a reload must look to rebuild this set: one access-token lifetime, in seconds. */
  get horizonSeconds(): number {
    return this.longestTokenLifeSeconds + CLOCK_SKEW_MS / 1000;
  }

  /** A user's access token, or a service client's, whichever may live longer. */
  private get longestTokenLifeSeconds(): number {
    const { accessTtl, clientTokenTtl } = this.config.tokens;
    return Math.max(accessTtl, clientTokenTtl);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, forgetAt] of this.revoked) {
      if (forgetAt <= now) this.revoked.delete(id);
    }
    for (const [key, { forgetAt }] of this.memberships) {
      if (forgetAt <= now) this.memberships.delete(key);
    }
  }
}
