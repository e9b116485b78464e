import { LoggedIn, login, register, uniqueEmail } from './auth-client';
import { TestMailbox } from './mailbox';
import { outboxMessages, sentTo } from './outbox';
import { TestApp } from './test-app';

export type LinkKind = 'verify-email' | 'reset-password' | 'confirm-email';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function linkIn(text: string | undefined, kind: LinkKind): string | undefined {
  return new RegExp(`#${kind}=([A-Za-z0-9_-]{43,})`).exec(text ?? '')?.[1];
}

/**
 * The token of the newest `kind` link mailed to `to`, read where the app delivers mail: the test's SMTP mailbox
 * when it has one, else the `.eml` files of its outbox directory (the app's default without SMTP_URL).
 */
export async function mailedToken(
  app: TestApp,
  to: string,
  kind: LinkKind,
  mailbox?: TestMailbox,
  timeoutMs = 10_000,
): Promise<string> {
  if (mailbox) {
    const message = await mailbox.waitFor((mail) => sentTo(to)(mail) && !!linkIn(mail.text, kind), timeoutMs);
    return linkIn(message.text, kind)!;
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mail = (await outboxMessages(app)).find(
      (message) => sentTo(to)(message) && linkIn(message.text, kind),
    );
    if (mail) return linkIn(mail.text, kind)!;
    if (Date.now() > deadline) throw new Error(`no ${kind} link to ${to} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Proves the address through the link the app mailed at registration, as its owner would. */
export async function verifyAddress(app: TestApp, email: string, mailbox?: TestMailbox): Promise<void> {
  const token = await mailedToken(app, email, 'verify-email', mailbox);
  const response = await app.http().post('/api/auth/verify-email').send({ token });
  if (response.status !== 204) throw new Error(`verify-email failed: ${response.status}`);
}

/** Registers, proves the address from the mail, and logs in: a user who may add ways in and factors. */
export async function signUpVerified(
  app: TestApp,
  email = uniqueEmail(),
  mailbox?: TestMailbox,
): Promise<LoggedIn> {
  await register(app, email);
  await verifyAddress(app, email, mailbox);
  return login(app, email);
}
