import { OnApplicationShutdown } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import { DeliverableMail, MailDelivery } from './mail-delivery';
import { messageFields } from './message-fields';

/**
 * Sends over SMTP (`smtp://` upgrades with STARTTLS when the server offers it, `smtps://` is TLS from the start),
 * one connection per message. Short timeouts: a server that hangs delays only the outbox, and only for seconds.
 * Options in the URL's query (`?ignoreTLS=true`, `?connectionTimeout=…`) take precedence.
 */
export class SmtpDelivery extends MailDelivery implements OnApplicationShutdown {
  private readonly transport: Transporter;

  constructor(url: string, from: string) {
    super();
    this.transport = createTransport(
      {
        url,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 20_000,
        dnsTimeout: 5_000,
        // nodemailer's own logging would write message bodies (and so their links).
        logger: false,
        debug: false,
      },
      { from },
    );
  }

  async deliver(message: DeliverableMail): Promise<string> {
    const info: { messageId?: string } = await this.transport.sendMail(messageFields(message));
    return `accepted by the SMTP server as ${info.messageId ?? 'a message without an id'}`;
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
