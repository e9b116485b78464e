import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { MAIL_CHANNEL } from './outbox/mail-channel';
import { OutboxSender } from './outbox/outbox-sender';
import { OutgoingMail } from './outgoing-mail';

/** The one way to send mail: queue it with the change that needs it; the outbox delivers it after commit. */
@Injectable()
export class MailService {
  constructor(private readonly sender: OutboxSender) {}

  /**
   * Stores the message in the caller's transaction (`db`): it exists if and only if that transaction commits.
   * Never talks to a mail server, so a failing one cannot fail or slow the caller.
   */
  async queue(db: EntityManager, message: OutgoingMail): Promise<void> {
    await db.query(
      `INSERT INTO mail_outbox ("to", subject, text, html, purpose, expires_at, forget_recipient)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        message.to,
        message.subject,
        message.text,
        message.html ?? null,
        message.purpose,
        message.expiresAt ?? null,
        message.forgetRecipient ?? false,
      ],
    );
    // Delivered at commit only: other instances hear of the message if and only if it exists.
    await db.query(`SELECT pg_notify($1, '')`, [MAIL_CHANNEL]);
    this.sender.queued();
  }
}
