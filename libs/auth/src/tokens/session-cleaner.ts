import { AuditTrail } from '@gatehouse/audit';
import { AppConfig } from '@gatehouse/config';
import { ExpiringRecordsRegistry } from '@gatehouse/database';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RevocationService } from '../revocation/revocation.service';

// Shared by every instance: whoever holds this advisory lock cleans, the others skip their turn.
const CLEANUP_LOCK_KEY = 724_190_332;
// Small batches keep each statement short, so requests never queue behind a large purge.
const BATCH = 2000;

export interface CleanupResult {
  ran: boolean;
  refreshTokens: number;
  /** Sessions revoked or expired long ago, and deleted accounts' revocations past the revocation horizon. */
  sessions: number;
  /** Rows of the tables features register as expiring (ExpiringRecordsRegistry): links, codes, challenges, tries. */
  oneTimeRecords: number;
  /** Account history older than AUDIT_RETENTION. */
  auditEvents: number;
}

/**
 * Purges refresh tokens past their expiry (they can no longer be presented), sessions revoked or expired
 * longer than SESSION_RETENTION ago, deleted accounts' revocations once every access token they stopped has
 * expired, the rows of every table a feature registered as expiring (one-time links, codes and challenges, records
 * of tries), and account history older than AUDIT_RETENTION, every CLEANUP_INTERVAL, on one instance at a time.
 */
@Injectable()
export class SessionCleaner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(SessionCleaner.name);
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly trail: AuditTrail,
    private readonly revocations: RevocationService,
    private readonly expiring: ExpiringRecordsRegistry,
  ) {}

  onApplicationBootstrap(): void {
    // CLEANUP_INTERVAL=off: another instance cleans (with WORKERS > 1, every worker but one is set so).
    if (!this.config.cleanup.enabled) return;
    this.timer = setInterval(() => {
      this.runOnce().catch((error: unknown) =>
        this.log.warn(`clean-up failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    }, this.config.cleanup.interval * 1000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async runOnce(now: Date = new Date()): Promise<CleanupResult> {
    // The embedded database belongs to one process, which runs one timer: there is nobody to exclude.
    if (!this.config.database.url) return this.purge(now);
    const lockHolder = this.dataSource.createQueryRunner();
    try {
      const [{ locked }] = (await lockHolder.query('SELECT pg_try_advisory_lock($1) AS locked', [
        CLEANUP_LOCK_KEY,
      ])) as { locked: boolean }[];
      if (!locked) return { ran: false, refreshTokens: 0, sessions: 0, oneTimeRecords: 0, auditEvents: 0 };
      try {
        return await this.purge(now);
      } finally {
        await lockHolder.query('SELECT pg_advisory_unlock($1)', [CLEANUP_LOCK_KEY]);
      }
    } finally {
      await lockHolder.release();
    }
  }

  private async purge(now: Date): Promise<CleanupResult> {
    const retainedSince = new Date(now.getTime() - this.config.cleanup.sessionRetention * 1000);
    const refreshTokens = await this.deleteInBatches(
      'DELETE FROM refresh_tokens WHERE id IN (SELECT id FROM refresh_tokens WHERE expires_at < $1 LIMIT $2)',
      now,
    );
    const sessions =
      (await this.deleteInBatches(
        `DELETE FROM sessions WHERE id IN (
           SELECT id FROM sessions WHERE revoked_at < $1 OR expires_at < $1 LIMIT $2)`,
        retainedSince,
      )) +
      // Kept only while an access token of the session may live: the horizon the revocation set keeps them.
      (await this.deleteInBatches(
        `DELETE FROM revoked_sessions WHERE session_id IN (
           SELECT session_id FROM revoked_sessions WHERE revoked_at < $1 LIMIT $2)`,
        new Date(now.getTime() - this.revocations.horizonSeconds * 1000),
      ));
    // What each feature registered: one-time codes, challenges and links once expired, records of tries once
    // they count for nothing.
    let oneTimeRecords = 0;
    for (const { purge, keptFor } of this.expiring.registered()) {
      oneTimeRecords += await this.deleteInBatches(purge, new Date(now.getTime() - keptFor * 1000));
    }
    const auditEvents = await this.trail.purgeOlderThan(
      new Date(now.getTime() - this.config.audit.retention * 1000),
      BATCH,
    );
    if (refreshTokens + sessions + oneTimeRecords + auditEvents > 0) {
      this.log.log(
        { refreshTokens, sessions, oneTimeRecords, auditEvents },
        'purged expired tokens, long-dead sessions, expired one-time records and history past its retention',
      );
    }
    return { ran: true, refreshTokens, sessions, oneTimeRecords, auditEvents };
  }

  private async deleteInBatches(sql: string, before: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const [, deleted] = await this.dataSource.query<[unknown, number]>(sql, [before, BATCH]);
      total += deleted;
      if (deleted < BATCH) return total;
    }
  }
}
