import { Injectable } from '@nestjs/common';
import { DeliveryOutcome } from './durable/durable-sender';
import { OutboxStore } from './outbox/outbox-store';

export type { DeliveryOutcome };

/** The outbox's numbers for the app's metrics: delivery outcomes counted here, the backlog read on demand. */
@Injectable()
export class MailMeasurements {
  private readonly counts: Record<DeliveryOutcome, number> = { sent: 0, retry: 0, rejected: 0, expired: 0 };

  constructor(private readonly store: OutboxStore) {}

  delivered(outcome: DeliveryOutcome, count = 1): void {
    this.counts[outcome] += count;
  }

  /** Attempts by outcome since this instance started. */
  get deliveries(): Readonly<Record<DeliveryOutcome, number>> {
    return this.counts;
  }

  /** A database read: only when metrics are scraped, never on a request's path. */
  backlog(): Promise<{ waiting: number; oldestAgeSeconds: number }> {
    return this.store.backlog();
  }
}
