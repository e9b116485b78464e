import { DatabaseNotifications } from '@gatehouse/database';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { describeDeliveryFailure } from '../delivery/delivery-failure';
import { MailDelivery } from '../delivery/mail-delivery';
import { MailMeasurements } from '../mail-measurements';
import { retryDelaySeconds } from '../retry-delay';
import { MAIL_CHANNEL } from './mail-channel';
import { ClaimedMail, OutboxStore } from './outbox-store';

// One at a time: a lease covers one send. Rows claimed behind a slow send would outlive their lease (and be sent
// by another instance too), and a crash would strand every one of them until it ran out.
const BATCH_SIZE = 1;
// The safety net behind the wake-ups: a missed NOTIFY or a retry coming due is noticed within this.
const POLL_INTERVAL_MS = 5_000;
// After a message is queued: long enough for the queuing transaction to have committed, usually.
const QUEUED_WAKE_DELAY_MS = 25;
// On shutdown, how long a message already on the wire may take to finish.
const STOP_WAIT_MS = 5_000;

/**
 * Delivers the outbox, on every instance and in every worker (WORKERS): claims due messages (SKIP LOCKED under a
 * lease, so two senders never take the same one), sends them outside any transaction, then records the outcome. Woken when a message is queued (in this
 * process directly, from other instances by NOTIFY), when a retry comes due, and every few seconds regardless.
 */
@Injectable()
export class OutboxSender implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(OutboxSender.name);
  private pollTimer?: NodeJS.Timeout;
  private wakeTimer?: NodeJS.Timeout;
  private wakeAt = Infinity;
  private running?: Promise<void>;
  private wokenWhileRunning = false;
  private stopped = false;

  constructor(
    private readonly store: OutboxStore,
    private readonly delivery: MailDelivery,
    private readonly notifications: DatabaseNotifications,
    private readonly measurements: MailMeasurements,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.notifications.listen(MAIL_CHANNEL, {
      onMessage: () => this.wake(),
      onReconnect: () => this.wake(),
    });
    this.pollTimer = setInterval(() => this.wake(), POLL_INTERVAL_MS);
    this.pollTimer.unref();
    // Whatever an earlier run left behind.
    this.wake();
  }

  /** A message was just queued in this process: look shortly, once its transaction has (probably) committed. */
  queued(): void {
    this.wakeIn(QUEUED_WAKE_DELAY_MS);
  }

  /** Stops claiming; lets the message on the wire finish, for a few seconds at most. Unsent rows stay queued. */
  async onModuleDestroy(): Promise<void> {
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
        this.log.warn(`outbox pass failed: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => {
        this.running = undefined;
        if (this.wokenWhileRunning) this.wake();
      });
  }

  /** Delivers everything due, then looks again if woken meanwhile (the wake may be for a message just committed). */
  private async drain(): Promise<void> {
    do {
      this.wokenWhileRunning = false;
      const stale = await this.store.giveUpStale();
      this.measurements.delivered('expired', stale.length);
      for (const expired of stale) {
        this.log.warn(
          `mail ${expired.id} (${expired.purpose}) given up after ${expired.attempts} attempt(s): expired or past MAIL_GIVE_UP`,
        );
      }
      let batch: ClaimedMail[];
      while (!this.stopped && (batch = await this.store.claim(BATCH_SIZE)).length > 0) {
        await this.sendBatch(batch);
      }
    } while (this.wokenWhileRunning && !this.stopped);
  }

  private async sendBatch(batch: ClaimedMail[]): Promise<void> {
    for (const [index, message] of batch.entries()) {
      if (this.stopped) {
        await this.store.release(batch.slice(index).map((untried) => untried.id));
        return;
      }
      await this.send(message);
    }
  }

  private async send(message: ClaimedMail): Promise<void> {
    const label = `mail ${message.id} (${message.purpose})`;
    let outcome: string;
    try {
      outcome = await this.delivery.deliver(message);
    } catch (error) {
      const failure = describeDeliveryFailure(error);
      if (failure.permanent) {
        await this.store.giveUp(message.id, failure.summary);
        this.measurements.delivered('rejected');
        this.log.warn(`${label} given up: the server refuses the address for good (${failure.summary})`);
        return;
      }
      const delay = retryDelaySeconds(message.attempts);
      await this.store.markFailed(message.id, delay, failure.summary);
      this.measurements.delivered('retry');
      this.log.warn(`${label} attempt ${message.attempts} failed (${failure.summary}); next in ${delay} s`);
      this.wakeIn(delay * 1000);
      return;
    }
    await this.store.markSent(message.id);
    this.measurements.delivered('sent');
    this.log.log(`${label} ${outcome}`);
  }
}
