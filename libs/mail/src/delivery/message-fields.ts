import { SendMailOptions } from 'nodemailer';
import { DeliverableMail } from './mail-delivery';

/** The nodemailer fields of a message, the same for every transport. */
export function messageFields(message: DeliverableMail): SendMailOptions {
  return {
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html ?? undefined,
    // RFC 3834: tells vacation responders and the like not to answer.
    headers: { 'Auto-Submitted': 'auto-generated' },
  };
}
