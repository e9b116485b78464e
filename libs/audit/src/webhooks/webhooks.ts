import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { WebhookEvent } from './webhook-events';

/** Channel on which a queued delivery wakes the senders of every instance. */
export const WEBHOOK_CHANNEL = 'gatehouse_webhooks';

/**
 * Queues an event for every endpoint subscribed to it, in the caller's transaction: a delivery exists if and only
 * if the change it reports does. The body is fixed here (and signed as is at each attempt), so every retry
 * carries the same `webhook-id` and the same bytes.
 */
@Injectable()
export class Webhooks {
  async emit(db: EntityManager, event: WebhookEvent, data: Readonly<Record<string, unknown>>): Promise<void> {
    const [, queued] = await db.query<[unknown, number]>(
      `INSERT INTO webhook_deliveries (endpoint_id, event, payload)
       SELECT id, $1::varchar, $2::text FROM webhook_endpoints WHERE $1::varchar = ANY(events)`,
      [event, JSON.stringify({ type: event, timestamp: new Date().toISOString(), data })],
    );
    if (queued > 0) await db.query(`SELECT pg_notify($1, '')`, [WEBHOOK_CHANNEL]);
  }
}
