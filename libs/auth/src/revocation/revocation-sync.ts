import { DatabaseNotifications } from '@gatehouse/database';
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
  ) {}

  async onApplicationBootstrap(): Promise<void> {
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
    if (this.notifications.enabled) {
      this.timer = setInterval(() => void this.reload(false), RELOAD_INTERVAL_MS);
      this.timer.unref();
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
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
      this.lastReload = startedAt;
    } catch (error) {
      this.log.warn(
        `could not reload revocations: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (!this.lastReload) throw error;
    }
  }
}
