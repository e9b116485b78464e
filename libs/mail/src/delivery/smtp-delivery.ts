import { OnApplicationShutdown } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import { DeliverableMail, MailDelivery } from './mail-delivery';
import { messageFields } from './message-fields';

/**
 * Sends over SMTP (`smtp://` upgrades with STARTTLS when the server offers it, `smtps://` is TLS from the start),
 * one connection per message. Short timeouts: a server that hangs delays only the outbox, and only for seconds.
 * Options in the URL's query (`?ignoreTLS=true`, `?connectionTimeout=…`) take precedence.
 */
// A probe polls every few seconds: one SMTP handshake per half minute is plenty to report the server's state.
const REACHABILITY_TTL_MS = 30_000;
const REACHABILITY_TIMEOUT_MS = 1_500;

export class SmtpDelivery extends MailDelivery implements OnApplicationShutdown {
  private readonly transport: Transporter;
  private lastCheck?: { at: number; answer: Promise<boolean> };

  constructor(
    url: string,
    private readonly from: string,
  ) {
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
    const info: { messageId?: string } = await this.transport.sendMail(messageFields(message, this.from));
    return `accepted by the SMTP server as ${info.messageId ?? 'a message without an id'}`;
  }

  override reachable(): Promise<boolean> {
    if (this.lastCheck && Date.now() - this.lastCheck.at < REACHABILITY_TTL_MS) return this.lastCheck.answer;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), REACHABILITY_TIMEOUT_MS);
    });
    const handshake = this.transport.verify().then(
      () => true,
      () => false,
    );
    const answer = Promise.race([handshake, deadline]).finally(() => clearTimeout(timer));
    this.lastCheck = { at: Date.now(), answer };
    return answer;
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
