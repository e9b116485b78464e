import { DatabaseNotifications } from '@gatehouse/database';
import { Logger } from '@nestjs/common';
import { retryDelaySeconds } from '../retry-delay';
import { DeliveryRecord, DeliveryStore } from './delivery-store';

/** What became of a delivery attempt: sent, failed for now (tried again later), refused for good, or too late. */
export type DeliveryOutcome = 'sent' | 'retry' | 'rejected' | 'expired';

/** What one attempt came to, as the far end answered it. */
export type DeliveryAttempt =
  /** Accepted; `note` says where it went, fit for a log line (never the content). */
  | { readonly outcome: 'delivered'; readonly note: string }
  /** Not this time: tried again after the backoff. `error` is a few words for the row and the log. */
  | { readonly outcome: 'failed'; readonly error: string }
  /** Never: given up at once. `why` says so in the log. */
  | { readonly outcome: 'refused'; readonly error: string; readonly why: string };

export interface DurableSenderOptions<Row extends DeliveryRecord> {
  /** How a row is named in the log: `mail`, `webhook`. */
  readonly noun: string;
  readonly store: DeliveryStore<Row>;
  /** Hands one claimed row on, outside any transaction. A throw counts as a failed attempt. */
  readonly deliver: (row: Row) => Promise<DeliveryAttempt>;
  /** The NOTIFY channel on which a queued row is announced (its payload unused). */
  readonly channel: string;
  readonly notifications: DatabaseNotifications;
  readonly log: Logger;
  /** Seconds after a first failed attempt (DELIVERY_RETRY_FIRST); doubling after each further one. */
  readonly retryFirst: number;
  /** Seconds between looks for due rows besides the wake-ups (DELIVERY_POLL_INTERVAL). */
  readonly pollInterval: number;
  /** Why a row is given up by age, for the log: `expired or past MAIL_GIVE_UP`. */
  readonly staleReason: string;
  /** Rows on the wire at once from this instance, each claimed under a lease of its own; 1 by default. */
  readonly concurrency?: number;
  /** Told of every outcome, for the metrics. */
  readonly measure?: (outcome: DeliveryOutcome, count: number) => void;
}

// After a row is queued: long enough for the queuing transaction to have committed, usually.
const QUEUED_WAKE_DELAY_MS = 25;
// A retry is looked for a moment after it comes due: a timer may fire a millisecond before the clocks agree it
// is, and the next look would then be the poll's, seconds later.
const RETRY_WAKE_SLACK_MS = 50;
// On shutdown, how long a delivery already on the wire may take to finish.
const STOP_WAIT_MS = 5_000;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Delivers one table of durable deliveries, on every instance and in every worker: claims a due row (SKIP LOCKED
 * under a lease, so two senders never take the same one), delivers it outside any transaction, then records the
 * outcome: delivered, retried after a backoff, or given up; a row done with is wiped. Woken when a row is queued
 * (in this process directly, from other instances by NOTIFY), when a retry comes due, and every poll interval
 * regardless.
 *
 * One row per claim: a lease covers one attempt. Rows claimed behind a slow attempt would outlive their lease (and
 * be delivered by another instance too), and a crash would strand every one of them until it ran out.
 */
export class DurableSender<Row extends DeliveryRecord> {
  private readonly concurrency: number;
  private pollTimer?: NodeJS.Timeout;
  private wakeTimer?: NodeJS.Timeout;
  private wakeAt = Infinity;
  private running?: Promise<void>;
  private wokenWhileRunning = false;
  private stopped = false;

  constructor(private readonly options: DurableSenderOptions<Row>) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
  }

  async start(): Promise<void> {
    await this.options.notifications.listen(this.options.channel, {
      onMessage: () => this.wake(),
      onReconnect: () => this.wake(),
    });
    this.pollTimer = setInterval(() => this.wake(), this.options.pollInterval * 1000);
    this.pollTimer.unref();
    // Whatever an earlier run left behind.
    this.wake();
  }

  /** A row was just queued in this process: look shortly, once its transaction has (probably) committed. */
  queued(): void {
    this.wakeIn(QUEUED_WAKE_DELAY_MS);
  }

  /** Stops claiming; lets what is on the wire finish, for a few seconds at most. Undelivered rows stay queued. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.wakeTimer);
    if (!this.running) return;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)));
    await Promise.race([this.running, waited]);
    clearTimeout(timer);
  }

  private wakeIn(delayMs: number): void {
    if (this.stopped || Date.now() + delayMs >= this.wakeAt) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = Date.now() + delayMs;
    this.wakeTimer = setTimeout(() => {
      this.wakeAt = Infinity;
      this.wake();
    }, delayMs);
    this.wakeTimer.unref();
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wokenWhileRunning = true;
      return;
    }
    this.running = this.drain()
      .catch((error: unknown) => {
        this.options.log.warn(`${this.options.noun} delivery pass failed: ${message(error)}`);
      })
      .finally(() => {
        this.running = undefined;
        if (this.wokenWhileRunning) this.wake();
      });
  }

  /** Delivers everything due, then looks again if woken meanwhile (the wake may be for a row just committed). */
  private async drain(): Promise<void> {
    const { store, log, noun, staleReason } = this.options;
    do {
      this.wokenWhileRunning = false;
      const stale = await store.giveUpStale();
      this.options.measure?.('expired', stale.length);
      for (const row of stale) {
        log.warn(
          `${noun} ${row.id} (${row.label}) given up after ${row.attempts} attempt(s): ${staleReason}`,
        );
      }
      const lanes = await Promise.allSettled(
        Array.from({ length: this.concurrency }, () => this.deliverDue()),
      );
      const failed = lanes.find((lane): lane is PromiseRejectedResult => lane.status === 'rejected');
      if (failed) throw failed.reason;
    } while (this.wokenWhileRunning && !this.stopped);
  }

  /** One lane: claims and delivers one row at a time until none is due. */
  private async deliverDue(): Promise<void> {
    while (!this.stopped) {
      const [row] = await this.options.store.claim(1);
      if (!row) return;
      if (this.stopped) {
        await this.options.store.release([row.id]);
        return;
      }
      await this.deliver(row);
    }
  }

  private async deliver(row: Row): Promise<void> {
    const { store, log, noun } = this.options;
    const label = `${noun} ${row.id} (${row.label})`;
    let attempt: DeliveryAttempt;
    try {
      attempt = await this.options.deliver(row);
    } catch (error) {
      attempt = { outcome: 'failed', error: message(error).replace(/\s+/g, ' ').slice(0, 200) };
    }
    switch (attempt.outcome) {
      case 'delivered':
        await store.markDelivered(row.id);
        this.options.measure?.('sent', 1);
        log.log(`${label} ${attempt.note}`);
        return;
      case 'refused':
        await store.giveUp(row.id, attempt.error);
        this.options.measure?.('rejected', 1);
        log.warn(`${label} given up: ${attempt.why} (${attempt.error})`);
        return;
      case 'failed': {
        const delay = retryDelaySeconds(row.attempts, this.options.retryFirst);
        await store.markFailed(row.id, delay, attempt.error);
        this.options.measure?.('retry', 1);
        log.warn(`${label} attempt ${row.attempts} failed (${attempt.error}); next in ${delay} s`);
        this.wakeIn(delay * 1000 + RETRY_WAKE_SLACK_MS);
      }
    }
  }
}
