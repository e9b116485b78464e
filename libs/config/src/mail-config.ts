import { EnvReader } from './env-reader';

const DEFAULT_FROM = 'Gatehouse <no-reply@localhost>';
// `Name <address>` or a bare address; no line breaks, which would let a value add headers of its own.
const FROM_PATTERN = /^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/;

/**
 * SMTP_URL (`smtp://user:pass@host:587`, STARTTLS when offered, or `smtps://…:465`; unset: `.eml` files under
 * DATA_DIR/outbox, refused in production), MAIL_FROM, MAIL_GIVE_UP: how long an undelivered message is retried,
 * and MAIL_SEND_LEASE: how long a message being sent is reserved for its sender.
 */
export function readMail(
  env: EnvReader,
  production: boolean,
): { smtpUrl?: string; from: string; giveUpAfter: number; sendLease: number } {
  const smtpUrl = env.url('SMTP_URL', ['smtp:', 'smtps:'], true);
  if (production && env.raw('SMTP_URL') === undefined) {
    env.fail('SMTP_URL', 'must be set with NODE_ENV=production (mail cannot be left in files)', undefined);
  }
  // nodemailer reads options from the URL's query; its logger and debug output would carry message bodies.
  if (smtpUrl !== undefined && /[?&](logger|debug)=/i.test(smtpUrl)) {
    env.fail('SMTP_URL', 'must not set logger or debug (nodemailer would log the messages)', undefined);
  }
  const from = env.string('MAIL_FROM', DEFAULT_FROM);
  if (!FROM_PATTERN.test(from)) {
    env.fail(
      'MAIL_FROM',
      'must be an address, or a name and an address: Gatehouse <no-reply@example.com>',
      undefined,
    );
  }
  return {
    smtpUrl,
    from,
    giveUpAfter: env.duration('MAIL_GIVE_UP', 24 * 3600, 60),
    sendLease: env.duration('MAIL_SEND_LEASE', 60, 1),
  };
}
