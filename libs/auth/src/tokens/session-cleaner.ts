import { AuditTrail } from '@gatehouse/audit';
import { AppConfig } from '@gatehouse/config';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RevocationService } from '../revocation/revocation.service';
import { KNOWN_DEVICE_DAYS } from '../devices/known-devices';

// Shared by every instance: whoever holds this advisory lock cleans, the others skip their turn.
const CLEANUP_LOCK_KEY = 724_190_332;
// Small batches keep each statement short, so requests never queue behind a large purge.
const BATCH = 2000;

export interface CleanupResult {
  ran: boolean;
  refreshTokens: number;
  /** Sessions revoked or expired long ago, and deleted accounts' revocations past the revocation horizon. */
  sessions: number;
  /** Expired one-time email links and codes, provider login transactions, mfa challenges, and stale wrong-code records. */
  oneTimeRecords: number;
  /** Account history older than AUDIT_RETENTION. */
  auditEvents: number;
}

/**
 * Purges refresh tokens past their expiry (they can no longer be presented), sessions revoked or expired
 * longer than SESSION_RETENTION ago, deleted accounts' revocations once every access token they stopped has
 * expired, expired one-time records (email links, provider login transactions), and
 * account history older than AUDIT_RETENTION, every CLEANUP_INTERVAL, on one instance at a time.
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
    // Expired, they can no longer be used; a consumed email link is kept until it expires, as a record.
    const oneTimeRecords =
      (await this.deleteInBatches(
        'DELETE FROM email_tokens WHERE id IN (SELECT id FROM email_tokens WHERE expires_at < $1 LIMIT $2)',
        now,
      )) +
      (await this.deleteInBatches(
        'DELETE FROM email_codes WHERE email IN (SELECT email FROM email_codes WHERE expires_at < $1 LIMIT $2)',
        now,
      )) +
      (await this.deleteInBatches(
        `DELETE FROM oauth_transactions WHERE id IN (
           SELECT id FROM oauth_transactions WHERE expires_at < $1 LIMIT $2)`,
        now,
      )) +
      (await this.deleteInBatches(
        'DELETE FROM mfa_challenges WHERE id IN (SELECT id FROM mfa_challenges WHERE expires_at < $1 LIMIT $2)',
        now,
      )) +
      (await this.deleteInBatches(
        `DELETE FROM webauthn_challenges WHERE id IN (
           SELECT id FROM webauthn_challenges WHERE expires_at < $1 LIMIT $2)`,
        now,
      )) +
      (await this.deleteInBatches(
        'DELETE FROM org_invitations WHERE id IN (SELECT id FROM org_invitations WHERE expires_at < $1 LIMIT $2)',
        now,
      )) +
      // A membership change matters while a token issued before it may live: a day covers any lifetime.
      (await this.deleteInBatches(
        `DELETE FROM org_membership_changes WHERE id IN (
           SELECT id FROM org_membership_changes WHERE changed_at < $1 LIMIT $2)`,
        new Date(now.getTime() - 86_400_000),
      )) +
      // A device unseen for 90 days is a new one at its next sign-in: its record serves no more.
      (await this.deleteInBatches(
        `DELETE FROM known_devices WHERE (user_id, key_hash) IN (
           SELECT user_id, key_hash FROM known_devices WHERE last_seen_at < $1 LIMIT $2)`,
        new Date(now.getTime() - KNOWN_DEVICE_DAYS * 86_400_000),
      )) +
      // Wrong second-factor codes count for THROTTLE_MFA_TTL; older ones count for nothing.
      (await this.deleteInBatches(
        'DELETE FROM mfa_failures WHERE id IN (SELECT id FROM mfa_failures WHERE failed_at < $1 LIMIT $2)',
        new Date(now.getTime() - this.config.throttle.mfa.ttl * 1000),
      ));
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
