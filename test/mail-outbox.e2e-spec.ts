import { MailService, OutgoingMail } from '@gatehouse/mail';
import { ParsedMail, simpleParser } from 'mailparser';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { describeEachDatabase } from './support/databases';
import { TestMailbox } from './support/mailbox';
import { TestApp } from './support/test-app';

type OutboxRow = {
  id: string;
  subject: string;
  text: string;
  html: string | null;
  attempts: number;
  last_error: string | null;
  sent_at: Date | null;
  given_up_at: Date | null;
  /** Seconds from the database's now() to next_attempt_at. */
  due_in: number;
};

/** Polls `probe` until it returns something, for at most `timeoutMs`. */
async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A message as recovery would render one: a link with a fresh token on a line of its own. */
function message(overrides: Partial<OutgoingMail> = {}): OutgoingMail & { token: string } {
  const token = randomBytes(32).toString('base64url');
  return {
    to: `someone-${randomUUID()}@example.test`,
    subject: 'Verify your email address',
    text: `Open this link to verify your address:\n\nhttp://localhost:3000/#verify-email=${token}\n\nThanks.`,
    purpose: 'verify_email',
    token,
    ...overrides,
  };
}

/**
 * Every app this file starts. Nest's own loggers (`new Logger(context)`) write through the app that started last
 * in the process, so while two apps run side by side a line may land in the other's capture: the checks read them
 * all.
 */
const started: TestApp[] = [];
const logLines = (): string[] => started.flatMap((app) => app.logs.lines);

async function start(...args: Parameters<typeof TestApp.start>): Promise<TestApp> {
  const app = await TestApp.start(...args);
  started.push(app);
  return app;
}

/** Seconds before the first retry (DELIVERY_RETRY_FIRST), doubling after each further failure. */
const RETRY_FIRST = 2;
/** Short retries and polls: the behaviour of the 5 s defaults, in less of the suite's time. */
const FAST_DELIVERY = { DELIVERY_RETRY_FIRST: `${RETRY_FIRST}s`, DELIVERY_POLL_INTERVAL: '1s' };

const addressedTo = (to: string) => (mail: ParsedMail) =>
  mail.to !== undefined && JSON.stringify(mail.to).includes(to);

describeEachDatabase('the mail outbox', (kind) => {
  let mailbox: TestMailbox;
  let app: TestApp;
  /** Every token put in a message by this suite: none may reach a log line. */
  const tokens: string[] = [];

  const queue = (target: TestApp, mail: OutgoingMail & { token: string }) => {
    tokens.push(mail.token);
    const service = target.app.get(MailService);
    return target.app.get(DataSource).transaction((db) => service.queue(db, mail));
  };
  const rowFor = async (to: string): Promise<OutboxRow | undefined> => {
    const [row] = await app.query<OutboxRow>(
      `SELECT id, subject, text, html, attempts, last_error, sent_at, given_up_at,
              extract(epoch FROM next_attempt_at - now())::float AS due_in
         FROM mail_outbox WHERE "to" = $1`,
      [to],
    );
    return row;
  };
  const rowWhen = (to: string, ready: (row: OutboxRow) => boolean, timeoutMs: number, what: string) =>
    until(
      async () => {
        const row = await rowFor(to);
        return row && ready(row) ? row : undefined;
      },
      timeoutMs,
      what,
    );

  beforeAll(async () => {
    mailbox = await TestMailbox.start();
    app = await start(kind, { env: { SMTP_URL: mailbox.url, ...FAST_DELIVERY } });
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.stop();
  });
  afterEach(() => mailbox.refuseAll(false));

  it('delivers a committed message within a second or so, plain text intact, then wipes its body', async () => {
    const mail = message({ html: '<p>Open the link</p>' });
    const started = performance.now();
    await queue(app, mail);
    const received = await mailbox.waitFor(addressedTo(mail.to), 5000);
    const elapsedMs = performance.now() - started;
    process.stdout.write(`[${kind}] queued to delivered: ${elapsedMs.toFixed(0)} ms\n`);
    expect(elapsedMs).toBeLessThan(2000);

    expect(received.subject).toBe(mail.subject);
    expect(received.text?.split('\n')).toContain(`http://localhost:3000/#verify-email=${mail.token}`);
    expect(received.html).toContain('Open the link');
    expect(received.from?.value).toEqual([{ name: 'Gatehouse', address: 'no-reply@localhost' }]);
    expect(received.headers.get('auto-submitted')).toBe('auto-generated');

    const row = await rowWhen(mail.to, (r) => r.sent_at !== null, 3000, 'the row marked sent');
    expect(row).toMatchObject({
      subject: '',
      text: '',
      html: null,
      attempts: 1,
      last_error: null,
      given_up_at: null,
    });
  });

  it('sends nothing for a transaction that rolls back', async () => {
    const rolledBack = message();
    const service = app.app.get(MailService);
    await expect(
      app.app.get(DataSource).transaction(async (db) => {
        await service.queue(db, rolledBack);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');

    // A message committed after it goes out; by then the sender has looked at everything due.
    const committed = message();
    await queue(app, committed);
    await mailbox.waitFor(addressedTo(committed.to), 5000);
    expect(mailbox.messages.filter(addressedTo(rolledBack.to))).toHaveLength(0);
    expect(await rowFor(rolledBack.to)).toBeUndefined();
  });

  it('backs off while the server refuses (DELIVERY_RETRY_FIRST, then twice that) and delivers once it accepts again', async () => {
    mailbox.refuseAll(true);
    const mail = message({ purpose: 'password_reset' });
    const started = performance.now();
    await queue(app, mail);
    // Queuing never waits for the mail server.
    expect(performance.now() - started).toBeLessThan(1000);

    const first = await rowWhen(mail.to, (r) => r.last_error !== null, 5000, 'a first failed attempt');
    expect(first.attempts).toBe(1);
    expect(first.due_in).toBeGreaterThan(RETRY_FIRST - 1.5);
    expect(first.due_in).toBeLessThanOrEqual(RETRY_FIRST);
    expect(first.last_error).toMatch(/451/);
    expect(first.text).toContain(mail.token);

    const second = await rowWhen(
      mail.to,
      (r) => r.attempts === 2 && r.due_in < 30,
      RETRY_FIRST * 1000 + 4000,
      'a second failed attempt',
    );
    expect(second.due_in).toBeGreaterThan(2 * RETRY_FIRST - 1.5);
    expect(second.due_in).toBeLessThanOrEqual(2 * RETRY_FIRST);
    expect(mailbox.messages.filter(addressedTo(mail.to))).toHaveLength(0);

    mailbox.refuseAll(false);
    await mailbox.waitFor(addressedTo(mail.to), 13_000);
    const sent = await rowWhen(mail.to, (r) => r.sent_at !== null, 3000, 'the row marked sent');
    expect(sent).toMatchObject({ attempts: 3, text: '', subject: '' });
  });

  it('sends a retry with the Message-ID of the first attempt: the row id at the MAIL_FROM domain', async () => {
    const mail = message();
    const held = mailbox.holdNext();
    await queue(app, mail);
    const first = await held;
    // The server had the whole message and still said no: the sender must try again, as the same message.
    first.refuse();
    const received = await mailbox.waitFor(addressedTo(mail.to), 12_000);
    const row = await rowWhen(mail.to, (r) => r.sent_at !== null, 3000, 'the row marked sent');
    expect(first.message.messageId).toBe(`<${row.id}@localhost>`);
    expect(received.messageId).toBe(first.message.messageId);
    expect(row.attempts).toBe(2);
    expect(mailbox.messages.filter(addressedTo(mail.to))).toHaveLength(1);
  });

  it('gives up, and wipes, a message whose token expired or that outlived MAIL_GIVE_UP', async () => {
    mailbox.refuseAll(true);
    const expiring = message({ purpose: 'password_reset', expiresAt: new Date(Date.now() + 1500) });
    const old = message();
    await queue(app, expiring);
    await queue(app, old);
    await rowWhen(old.to, (r) => r.last_error !== null, 5000, 'a failed attempt');
    // As if it had been retried for a day.
    await app.query(`UPDATE mail_outbox SET created_at = now() - interval '25 hours' WHERE "to" = $1`, [
      old.to,
    ]);

    for (const mail of [expiring, old]) {
      const row = await rowWhen(mail.to, (r) => r.given_up_at !== null, 8000, 'the message given up');
      expect(row).toMatchObject({ subject: '', text: '', html: null, sent_at: null });
    }
    mailbox.refuseAll(false);
    expect(mailbox.messages.filter(addressedTo(expiring.to))).toHaveLength(0);
    expect(mailbox.messages.filter(addressedTo(old.to))).toHaveLength(0);
  });

  it('keeps a message through an outage and a restart of the app, and delivers it afterwards', async () => {
    await mailbox.stop();
    const mail = message();
    await queue(app, mail);
    const failed = await rowWhen(mail.to, (r) => r.last_error !== null, 5000, 'a failed attempt');
    expect(failed.last_error).toMatch(/ECONNREFUSED/);

    await app.restart();
    await mailbox.restart();
    await mailbox.waitFor(addressedTo(mail.to), 12_000);
    await rowWhen(mail.to, (r) => r.sent_at !== null, 3000, 'the row marked sent');
  });

  it('without SMTP_URL, writes an .eml file under DATA_DIR/outbox and logs its name, never its text', async () => {
    const files = await start(kind);
    try {
      const outbox = join(files.env.DATA_DIR!, 'outbox');
      const mail = message();
      await queue(files, mail);
      const name = await until(
        () => (existsSync(outbox) ? readdirSync(outbox).find((file) => file.endsWith('.eml')) : undefined),
        5000,
        'an .eml file',
      );
      const parsed = await simpleParser(readFileSync(join(outbox, name)));
      expect(parsed.text?.split('\n')).toContain(`http://localhost:3000/#verify-email=${mail.token}`);
      expect(JSON.stringify(parsed.to)).toContain(mail.to);

      const mentions = await until(
        () => {
          const lines = logLines().filter((line) => line.includes(name));
          return lines.length > 0 ? lines : undefined;
        },
        3000,
        'a log line naming the file',
      );
      expect(mentions.join('\n')).not.toContain('verify-email=');
      expect(logLines().filter((line) => line.includes(mail.token))).toEqual([]);
    } finally {
      await files.stop();
    }
  });

  if (kind === 'postgres') {
    it('delivers each of 20 messages exactly once with two instances sending', async () => {
      const peer = await TestApp.startPeer(app);
      started.push(peer);
      try {
        const batch = Array.from({ length: 20 }, (_, i) => message({ subject: `Message ${i}` }));
        const started = performance.now();
        await Promise.all(batch.map((mail, i) => queue(i % 2 === 0 ? app : peer, mail)));
        await Promise.all(batch.map((mail) => mailbox.waitFor(addressedTo(mail.to), 10_000)));
        process.stdout.write(
          `[${kind}] 20 messages on two instances: ${(performance.now() - started).toFixed(0)} ms\n`,
        );
        // Give a duplicate the time to show up.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        for (const mail of batch) expect(mailbox.messages.filter(addressedTo(mail.to))).toHaveLength(1);
        const rows = await app.query<{ attempts: number; sent: boolean }>(
          `SELECT attempts, sent_at IS NOT NULL AS sent FROM mail_outbox WHERE "to" = ANY($1)`,
          [batch.map((mail) => mail.to)],
        );
        expect(rows).toHaveLength(20);
        expect(rows.every((row) => row.sent && row.attempts === 1)).toBe(true);
      } finally {
        await peer.stop();
      }
    });
  }

  if (kind === 'postgres') {
    it('sends each message once with two instances even when sends take longer than a batch would be leased', async () => {
      // Each send takes ~0.8 s against a 3 s lease: only a lease taken per message covers its send.
      await app.restart({ MAIL_SEND_LEASE: '3s' });
      const peer = await TestApp.startPeer(app);
      started.push(peer);
      mailbox.delayAnswers(800);
      try {
        const batch = Array.from({ length: 12 }, (_, i) => message({ subject: `Slow ${i}` }));
        await Promise.all(batch.map((mail) => queue(app, mail)));
        await Promise.all(batch.map((mail) => mailbox.waitFor(addressedTo(mail.to), 30_000)));
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const counts = batch.map((mail) => mailbox.messages.filter(addressedTo(mail.to)).length);
        expect(counts).toEqual(batch.map(() => 1));
      } finally {
        mailbox.delayAnswers(0);
        await peer.stop();
      }
    });
  }

  it('never writes a message text, link or token to a log line', () => {
    expect(tokens.length).toBeGreaterThan(5);
    const leaks = logLines().filter((line) => tokens.some((token) => line.includes(token)));
    expect(leaks).toEqual([]);
    expect(logLines().filter((line) => line.includes('#verify-email='))).toEqual([]);
    // The sender did log its work.
    expect(logLines().some((line) => line.includes('accepted by the SMTP server'))).toBe(true);
  });
});
