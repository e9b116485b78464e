import { Injectable } from '@nestjs/common';
import { MailDelivery } from './mail-delivery';

/** What the rest of the app may know about mail delivery: whether its server answers, never a way to send. */
@Injectable()
export class MailDeliveryStatus {
  constructor(private readonly delivery: MailDelivery) {}

  /** `undefined` when messages are written to files: there is no server to be down. */
  smtpReachable(): Promise<boolean | undefined> {
    return this.delivery.reachable();
  }
}
