import { Injectable, Optional } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { WEBHOOK_CHANNEL } from './webhook-channel';
import { WebhookEvent } from './webhook-events';
import { WebhookSender } from './webhook-sender';

export { WEBHOOK_CHANNEL };

/**
 * Queues an event for every endpoint subscribed to it, in the caller's transaction: a delivery exists if and only
 * if the change it reports does. The body is fixed here (and signed as is at each attempt), so every retry
 * carries the same `webhook-id` and the same bytes.
 */
@Injectable()
export class Webhooks {
  /** Absent where only the queue is wanted (a unit test's module): the rows wait for a sender. */
  constructor(@Optional() private readonly sender?: WebhookSender) {}

  async emit(db: EntityManager, event: WebhookEvent, data: Readonly<Record<string, unknown>>): Promise<void> {
    const queued = await db.query<{ id: string }[]>(
      `INSERT INTO webhook_deliveries (endpoint_id, event, payload)
       SELECT id, $1::varchar, $2::text FROM webhook_endpoints WHERE $1::varchar = ANY(events)
       RETURNING id`,
      [event, JSON.stringify({ type: event, timestamp: new Date().toISOString(), data })],
    );
    if (queued.length === 0) return;
    // Delivered at commit only: other instances hear of the deliveries if and only if they exist.
    await db.query(`SELECT pg_notify($1, '')`, [WEBHOOK_CHANNEL]);
    this.sender?.queued();
  }
}
