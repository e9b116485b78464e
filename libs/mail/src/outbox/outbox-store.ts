import { AppConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DeliverableMail } from '../delivery/mail-delivery';
import { DeliveryStore, DeliveryTable } from '../durable/delivery-store';

export type ClaimedMail = DeliverableMail & { label: string; attempts: number };

const MAIL_OUTBOX: DeliveryTable = {
  name: 'mail_outbox',
  deliveredAt: 'sent_at',
  label: 'purpose',
  content: `"to", subject, text, html, purpose`,
  // A link is a secret at rest: once a message is done with, only its record stays.
  wipe: `subject = '', text = '', html = NULL, "to" = CASE WHEN forget_recipient THEN '' ELSE "to" END`,
  // A message whose link has expired is pointless, however young.
  expiresAt: 'expires_at',
};

/** The outbox's statements: the durable deliveries' own, on mail_outbox, with MAIL_GIVE_UP and MAIL_SEND_LEASE. */
@Injectable()
export class OutboxStore extends DeliveryStore<ClaimedMail> {
  constructor(@InjectDataSource() dataSource: DataSource, config: AppConfig) {
    super(dataSource, MAIL_OUTBOX, { giveUpAfter: config.mail.giveUpAfter, lease: config.mail.sendLease });
  }
}
