import { DatabaseNotifications } from '@gatehouse/database';
import {
  MEMBERSHIP_CHANNEL,
  MembershipChange,
  MembershipChangeLog,
  parseMembershipNotice,
} from '@gatehouse/orgs';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ApiKeyVerdicts } from '../machine/api-keys/api-key-verdicts';
import { ServiceClients } from '../machine/clients/service-clients.service';
import { TokenService } from '../tokens/token.service';
import { parseRevocationNotice, REVOCATION_CHANNEL } from './revocation-notice';
import { RevocationService } from './revocation.service';

// The safety net behind NOTIFY: how often each instance re-reads recent revocations, and how far back it looks.
const RELOAD_INTERVAL_MS = 5_000;
const RELOAD_OVERLAP_MS = 60_000;

/**
 * Keeps this process's revocation set (each worker of WORKERS has its own) in step with every other instance: loaded from the database at start,
 * fed by PostgreSQL NOTIFY as revocations commit anywhere, and re-read every few seconds and after a lost LISTEN
 * connection, so a missed notification heals.
 */
@Injectable()
export class RevocationSync implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(RevocationSync.name);
  private timer?: NodeJS.Timeout;
  /** When the last reload began, on this process's monotonic clock (ms). */
  private lastReload?: number;

  constructor(
    private readonly tokens: TokenService,
    private readonly revocations: RevocationService,
    private readonly notifications: DatabaseNotifications,
    private readonly clients: ServiceClients,
    private readonly apiKeyVerdicts: ApiKeyVerdicts,
    private readonly membershipChanges: MembershipChangeLog,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // This instance's own changes, at once: the embedded database has no one to notify.
    this.membershipChanges.subscribe((changes) => this.noteMemberships(changes));
    await this.reload(true);
    await this.notifications.listen(REVOCATION_CHANNEL, {
      onMessage: (payload) => {
        const notice = parseRevocationNotice(payload);
        if (!notice) return;
        this.revocations.add(notice.ids, notice.at);
        this.apiKeyVerdicts.forget(notice.forget);
      },
      onReconnect: () => {
        // Notices sent while the connection was down are lost: judge every API key again.
        this.apiKeyVerdicts.clear();
        void this.reload(true);
      },
    });
    await this.notifications.listen(MEMBERSHIP_CHANNEL, {
      onMessage: (payload) => this.noteMemberships(parseMembershipNotice(payload)),
      // The revocation channel's reconnection reloads both: one connection carries them.
      onReconnect: () => undefined,
    });
    if (this.notifications.enabled) {
      this.timer = setInterval(() => void this.reload(false), RELOAD_INTERVAL_MS);
      this.timer.unref();
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Tokens claiming a role no longer held stop; API keys made in the organization are judged again. */
  private noteMemberships(changes: readonly MembershipChange[]): void {
    for (const change of changes) {
      this.revocations.changeMembership(change.organizationId, change.userId, change.role, change.at);
    }
    this.apiKeyVerdicts.forget(changes.map((change) => change.userId));
  }

  private async reload(everything: boolean): Promise<void> {
    const startedAt = performance.now();
    // Only an elapsed time leaves this process: the window itself is applied on the database's clock.
    const lookBackSeconds =
      everything || this.lastReload === undefined
        ? undefined
        : Math.ceil((startedAt - this.lastReload + RELOAD_OVERLAP_MS) / 1000);
    try {
      await this.tokens.loadRecentRevocations(lookBackSeconds);
      await this.clients.loadRecentDeletions(lookBackSeconds);
      this.noteMemberships(
        await this.membershipChanges.recent(lookBackSeconds ?? this.revocations.horizonSeconds),
      );
      this.lastReload = startedAt;
    } catch (error) {
      this.log.warn(
        `could not reload revocations: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (!this.lastReload) throw error;
    }
  }
}
