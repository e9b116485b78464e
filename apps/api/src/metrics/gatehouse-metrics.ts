import { AuthMeasurements, SecurityEventFields, SecurityEvents } from '@gatehouse/auth';
import type { RoutineEvent, SecurityEvent } from '@gatehouse/auth';
import { AppConfig } from '@gatehouse/config';
import { ConnectionPoolStats } from '@gatehouse/database';
import { MailMeasurements } from '@gatehouse/mail';
import { PasswordService } from '@gatehouse/users';
import { Injectable, Logger, OnModuleDestroy, ServiceUnavailableException } from '@nestjs/common';
import cluster from 'node:cluster';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { HostScrape } from './host-scrape';
import { HttpRequestMetrics } from './http-request-metrics';

const REFRESH_OUTCOMES = ['rotated', 'race', 'reuse', 'rejected', 'unavailable'] as const;
const LOGIN_OUTCOMES = ['succeeded', 'failed', 'throttled', 'mfa_required'] as const;
// The reasons TokenService.rotate gives, and the guard's own refusal of a cookie that is no valid token.
const REFRESH_REJECTIONS = new Set([
  'invalid_cookie',
  'unknown',
  'revoked',
  'expired',
  'disabled',
  'credentials_changed',
  'email_unverified',
]);
const REVOCATION_REASONS = new Set([
  'logout',
  'logout_all',
  'session_deleted',
  'password_changed',
  'password_reset',
  'email_changed',
  'account_disabled',
  'mfa_enabled',
  'reuse_detected',
]);
const ROUTINE_EVENTS = new Set<string>([
  'refresh.rotated',
  'refresh.cookie_refused',
  'refresh.unavailable',
  'login.throttled',
] satisfies RoutineEvent[]);
const DELIVERY_OUTCOMES = ['sent', 'retry', 'rejected', 'expired'] as const;

/**
 * A registry that first reads what is read only when asked for, whoever asks: a scrape of this process, or the
 * cluster primary gathering every worker's figures (prom-client reads the workers' registries as JSON).
 */
class MeasuredRegistry extends Registry {
  constructor(private readonly measure: () => Promise<void>) {
    super();
  }

  override async metrics(): Promise<string> {
    await this.measure();
    return super.metrics();
  }

  override async getMetricsAsJSON(): ReturnType<Registry['getMetricsAsJSON']> {
    await this.measure();
    return super.getMetricsAsJSON();
  }
}

/** A label value from a closed list, so an unexpected reason can never grow the number of series. */
function bounded(value: unknown, allowed: ReadonlySet<string>): string {
  return typeof value === 'string' && allowed.has(value) ? value : 'other';
}

/**
 * Every metric of one app instance, in a registry of its own (several apps share a process in tests). Counted
 * from the security events, the outbox and the request hook; gauges are read from memory, or from the database
 * once per scrape, never on a request's path. With WORKERS above 1 a scrape answers for the whole host: the
 * cluster primary aggregates every worker's registry, each metric by its `aggregator` (counters and histograms
 * are summed, prom-client's default; each gauge says below how it combines).
 */
@Injectable()
export class GatehouseMetrics implements OnModuleDestroy {
  readonly registry: Registry = new MeasuredRegistry(() => this.measure());
  readonly http = new HttpRequestMetrics(this.registry);
  private readonly log = new Logger(GatehouseMetrics.name);
  private readonly stopListening: () => void;
  private readonly host?: HostScrape;

  private readonly refreshes = new Counter({
    name: 'gatehouse_refresh_total',
    help: 'Refresh attempts by outcome: rotated, race (absorbed by the grace window), reuse, rejected, unavailable (503)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly refreshRejections = new Counter({
    name: 'gatehouse_refresh_rejected_total',
    help: 'Refused refreshes by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly logins = new Counter({
    name: 'gatehouse_logins_total',
    help: 'Sign-in attempts by outcome: succeeded, failed, throttled (429), mfa_required',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly revocations = new Counter({
    name: 'gatehouse_sessions_revoked_total',
    help: 'Sessions revoked, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly securityEvents = new Counter({
    name: 'gatehouse_security_events_total',
    help: 'Security events recorded, by event name',
    labelNames: ['event'],
    registers: [this.registry],
  });
  private readonly argon2Wait = new Histogram({
    name: 'gatehouse_argon2_queue_wait_seconds',
    help: 'Time a password hash or check waited for a free argon2 slot',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly argon2Depth = new Gauge({
    name: 'gatehouse_argon2_queue_depth',
    help: 'Password hashes or checks waiting for a free argon2 slot',
    // Each worker has its own queue: the host's backlog is the sum.
    aggregator: 'sum',
    registers: [this.registry],
  });
  private readonly revokedSessions = new Gauge({
    name: 'gatehouse_revoked_sessions',
    help: 'Revoked sessions held in memory by the bearer guard',
    // Every worker holds the same revocations (they are broadcast): a sum would count each once per worker.
    aggregator: 'max',
    registers: [this.registry],
  });
  private readonly tokenCacheLookups = new Counter({
    name: 'gatehouse_verified_token_cache_lookups_total',
    help: 'Bearer tokens looked up in the cache of verified tokens, by result: hit or miss',
    labelNames: ['result'],
    registers: [this.registry],
  });
  private readonly tokenCacheEntries = new Gauge({
    name: 'gatehouse_verified_token_cache_entries',
    help: 'Verified access tokens held in memory',
    // A cache per process: the host holds the sum.
    aggregator: 'sum',
    registers: [this.registry],
  });
  private readonly outboxMessages = new Gauge({
    name: 'gatehouse_mail_outbox_messages',
    help: 'Messages waiting to be sent (retries included); the same on every instance of one database',
    // One table read by every worker: the same number, not one per worker.
    aggregator: 'max',
    registers: [this.registry],
  });
  private readonly outboxOldest = new Gauge({
    name: 'gatehouse_mail_outbox_oldest_message_age_seconds',
    help: 'Age of the oldest message waiting to be sent; 0 when none waits',
    // Read from the one table too; the oldest any worker saw.
    aggregator: 'max',
    registers: [this.registry],
  });
  private readonly deliveries = new Counter({
    name: 'gatehouse_mail_deliveries_total',
    help: 'Delivery attempts by outcome: sent, retry (failed, tried again later), rejected (for good), expired',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly pool?: { connections: Gauge; waiting: Gauge };

  constructor(
    readonly config: AppConfig,
    events: SecurityEvents,
    private readonly auth: AuthMeasurements,
    private readonly mail: MailMeasurements,
    private readonly passwords: PasswordService,
    private readonly poolStats: ConnectionPoolStats,
  ) {
    for (const outcome of REFRESH_OUTCOMES) this.refreshes.inc({ outcome }, 0);
    for (const outcome of LOGIN_OUTCOMES) this.logins.inc({ outcome }, 0);
    this.stopListening = events.listen((event, fields) => this.count(event, fields));
    passwords.queue.observeWaits((seconds) => this.argon2Wait.observe(seconds));
    if (poolStats.read()) {
      this.pool = {
        connections: new Gauge({
          name: 'gatehouse_db_pool_connections',
          help: 'Connections of the database pool, by state: in_use or idle',
          labelNames: ['state'],
          // A pool per worker: the host's connections are the sum.
          aggregator: 'sum',
          registers: [this.registry],
        }),
        waiting: new Gauge({
          name: 'gatehouse_db_pool_waiting_requests',
          help: 'Queries waiting for a free connection of the pool',
          aggregator: 'sum',
          registers: [this.registry],
        }),
      };
    }
    // Only when someone can read them: the default collectors watch the event loop and the garbage collector.
    if (config.metrics.token) collectDefaultMetrics({ register: this.registry });
    // No scrape, no asking: without the token the route does not exist.
    if (config.metrics.token && config.workers > 1 && cluster.isWorker)
      this.host = new HostScrape(this.registry);
  }

  /** The text exposition: this process's, or the whole host's when it is one worker of a cluster. */
  async scrape(): Promise<string> {
    if (!this.host) return this.registry.metrics();
    try {
      return await this.host.fetch();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.log.warn(`the host's metrics could not be gathered: ${reason}`);
      throw new ServiceUnavailableException("the host's metrics could not be gathered");
    }
  }

  /** Reads what is read only when asked for (the outbox: one query), before the registry is read. */
  private async measure(): Promise<void> {
    this.argon2Depth.set(this.passwords.queue.depth);
    this.revokedSessions.set(this.auth.revokedSessions);
    const cache = this.auth.verifiedTokenCache;
    this.setTotal(this.tokenCacheLookups, { result: 'hit' }, cache.hits);
    this.setTotal(this.tokenCacheLookups, { result: 'miss' }, cache.misses);
    this.tokenCacheEntries.set(cache.entries);
    for (const outcome of DELIVERY_OUTCOMES) {
      this.setTotal(this.deliveries, { outcome }, this.mail.deliveries[outcome]);
    }
    const pool = this.poolStats.read();
    if (this.pool && pool) {
      this.pool.connections.set({ state: 'in_use' }, pool.total - pool.idle);
      this.pool.connections.set({ state: 'idle' }, pool.idle);
      this.pool.waiting.set(pool.waiting);
    }
    try {
      const backlog = await this.mail.backlog();
      this.outboxMessages.set(backlog.waiting);
      this.outboxOldest.set(backlog.oldestAgeSeconds);
    } catch (error) {
      // An absent series says "unknown" to an alert; a stale number would say "fine".
      this.outboxMessages.reset();
      this.outboxOldest.reset();
      this.log.warn(
        `the outbox could not be measured: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  onModuleDestroy(): void {
    this.host?.close();
    this.stopListening();
    this.passwords.queue.observeWaits(undefined);
  }

  private count(event: SecurityEvent | RoutineEvent, fields: Readonly<SecurityEventFields>): void {
    // Routine outcomes are no security events: they are counted only by what they are about, below.
    if (!ROUTINE_EVENTS.has(event)) this.securityEvents.inc({ event });
    switch (event) {
      case 'login.succeeded':
        return this.logins.inc({ outcome: 'succeeded' });
      case 'login.failed':
        return this.logins.inc({ outcome: 'failed' });
      case 'login.throttled':
        return this.logins.inc({ outcome: 'throttled' });
      case 'login.mfa_required':
        return this.logins.inc({ outcome: 'mfa_required' });
      case 'refresh.rotated':
        return this.refreshes.inc({ outcome: 'rotated' });
      case 'refresh.race_absorbed':
        return this.refreshes.inc({ outcome: 'race' });
      case 'refresh.reuse_detected':
        return this.refreshes.inc({ outcome: 'reuse' });
      case 'refresh.unavailable':
        return this.refreshes.inc({ outcome: 'unavailable' });
      case 'refresh.cookie_refused':
        this.refreshes.inc({ outcome: 'rejected' });
        return this.refreshRejections.inc({ reason: 'invalid_cookie' });
      case 'refresh.rejected':
        this.refreshes.inc({ outcome: 'rejected' });
        return this.refreshRejections.inc({ reason: bounded(fields.reason, REFRESH_REJECTIONS) });
      case 'session.revoked':
        return this.revocations.inc({ reason: bounded(fields.reason, REVOCATION_REASONS) });
      default:
        return;
    }
  }

  /** A counter kept elsewhere as a running total: prom-client counters only go up, so the total is re-added. */
  private setTotal<L extends string>(
    counter: Counter<L>,
    labels: Partial<Record<L, string>>,
    total: number,
  ): void {
    counter.remove(labels);
    counter.inc(labels, total);
  }
}
