import { SendMailOptions } from 'nodemailer';
import { DeliverableMail } from './mail-delivery';

/** The domain of the sender's address (`Name <a@b>` or `a@b`), which names the Message-IDs this sender makes. */
function senderDomain(from: string): string {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  return address.slice(address.lastIndexOf('@') + 1).trim() || 'localhost';
}

/**
 * One Message-ID per outbox row, the same on every attempt: a message the server accepted just before the sender
 * died is sent again after the restart, and the receiver can tell the copy by its id.
 */
export function outboxMessageId(id: string, from: string): string {
  return `<${id}@${senderDomain(from)}>`;
}

/** The nodemailer fields of a message, the same for every transport. */
export function messageFields(message: DeliverableMail, from: string): SendMailOptions {
  return {
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html ?? undefined,
    messageId: outboxMessageId(message.id, from),
    // RFC 3834: tells vacation responders and the like not to answer.
    headers: { 'Auto-Submitted': 'auto-generated' },
  };
}
