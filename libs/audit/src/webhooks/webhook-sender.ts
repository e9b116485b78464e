import { AppConfig } from '@gatehouse/config';
import { DatabaseNotifications } from '@gatehouse/database';
import { DeliveryAttempt, DeliveryStore, DeliveryTable, DurableSender } from '@gatehouse/mail';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WEBHOOK_CHANNEL } from './webhook-channel';
import { postWebhook, WebhookTarget } from './webhook-request';

type ClaimedDelivery = { id: string; label: string; attempts: number; endpointId: string; payload: string };

const WEBHOOK_DELIVERIES: DeliveryTable = {
  name: 'webhook_deliveries',
  deliveredAt: 'delivered_at',
  label: 'event',
  content: `endpoint_id AS "endpointId", payload`,
  // What happened to whom stays in the payload until it is delivered or given up; then only the record stays.
  wipe: `payload = ''`,
};

// Deliveries on the wire at once from one instance: a slow or silent endpoint holds up one lane, not all.
const LANES = 4;
// What a lease covers beyond the request's own timeout: the statements before and after it.
const LEASE_MARGIN_SECONDS = 5;

/**
 * Delivers webhooks, on every instance, through the durable deliveries' sender (as mail is): each delivery claimed
 * under a lease by one instance, POSTed and signed, retried with backoff until WEBHOOK_GIVE_UP, wiped once done.
 */
@Injectable()
export class WebhookSender implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly sender: DurableSender<ClaimedDelivery>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    notifications: DatabaseNotifications,
    config: AppConfig,
  ) {
    const { giveUpAfter, timeout } = config.webhooks;
    const store = new DeliveryStore<ClaimedDelivery>(dataSource, WEBHOOK_DELIVERIES, {
      giveUpAfter,
      // An attempt that outlives its timeout is abandoned; the lease outlasts it twice over.
      lease: 2 * timeout + LEASE_MARGIN_SECONDS,
    });
    this.sender = new DurableSender({
      noun: 'webhook',
      store,
      deliver: (delivery) => this.deliver(delivery, timeout),
      channel: WEBHOOK_CHANNEL,
      notifications,
      log: new Logger(WebhookSender.name),
      retryFirst: config.delivery.retryFirst,
      pollInterval: config.delivery.pollInterval,
      staleReason: 'past WEBHOOK_GIVE_UP',
      concurrency: LANES,
    });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.sender.start();
  }

  /** A delivery was just queued in this process: look shortly, once its transaction has (probably) committed. */
  queued(): void {
    this.sender.queued();
  }

  /** Stops claiming; lets what is on the wire finish, for a few seconds at most. Undelivered rows stay queued. */
  onModuleDestroy(): Promise<void> {
    return this.sender.stop();
  }

  private async deliver(delivery: ClaimedDelivery, timeoutSeconds: number): Promise<DeliveryAttempt> {
    const [target] = await this.dataSource.query<WebhookTarget[]>(
      'SELECT url, secret FROM webhook_endpoints WHERE id = $1',
      [delivery.endpointId],
    );
    // Deleted since it was claimed: its deliveries went with it.
    if (!target) return { outcome: 'refused', error: 'endpoint deleted', why: 'its endpoint was deleted' };
    return postWebhook(target, { id: `msg_${delivery.id}`, payload: delivery.payload }, timeoutSeconds);
  }
}
