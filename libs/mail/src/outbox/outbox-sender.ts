import { AppConfig } from '@gatehouse/config';
import { DatabaseNotifications } from '@gatehouse/database';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { describeDeliveryFailure } from '../delivery/delivery-failure';
import { MailDelivery } from '../delivery/mail-delivery';
import { DeliveryAttempt, DurableSender } from '../durable/durable-sender';
import { MailMeasurements } from '../mail-measurements';
import { MAIL_CHANNEL } from './mail-channel';
import { ClaimedMail, OutboxStore } from './outbox-store';

/** One message handed to the mail server (or a file); a refused address is refused for good. */
async function sendMail(delivery: MailDelivery, message: ClaimedMail): Promise<DeliveryAttempt> {
  try {
    return { outcome: 'delivered', note: await delivery.deliver(message) };
  } catch (error) {
    const failure = describeDeliveryFailure(error);
    return failure.permanent
      ? { outcome: 'refused', error: failure.summary, why: 'the server refuses the address for good' }
      : { outcome: 'failed', error: failure.summary };
  }
}

/**
 * Delivers the outbox, on every instance and in every worker (WORKERS), one message at a time, through the durable
 * deliveries' sender: claimed under a lease, sent outside any transaction, retried with backoff, wiped once done.
 */
@Injectable()
export class OutboxSender implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly sender: DurableSender<ClaimedMail>;

  constructor(
    store: OutboxStore,
    delivery: MailDelivery,
    notifications: DatabaseNotifications,
    measurements: MailMeasurements,
    config: AppConfig,
  ) {
    this.sender = new DurableSender({
      noun: 'mail',
      store,
      deliver: (message) => sendMail(delivery, message),
      channel: MAIL_CHANNEL,
      notifications,
      log: new Logger(OutboxSender.name),
      retryFirst: config.delivery.retryFirst,
      pollInterval: config.delivery.pollInterval,
      staleReason: 'expired or past MAIL_GIVE_UP',
      measure: (outcome, count) => measurements.delivered(outcome, count),
    });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.sender.start();
  }

  /** A message was just queued in this process: look shortly, once its transaction has (probably) committed. */
  queued(): void {
    this.sender.queued();
  }

  /** Stops claiming; lets the message on the wire finish, for a few seconds at most. Unsent rows stay queued. */
  onModuleDestroy(): Promise<void> {
    return this.sender.stop();
  }
}
