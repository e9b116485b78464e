// Longer than most suites: sign-in with a code by email is one feature, checked over HTTP on one app per database,
// restarted on the same data for the parts that need other settings (sign-up by code, small limits).
import { createHash, randomUUID } from 'node:crypto';
import { Response } from 'supertest';
import { SessionCleaner } from '../libs/auth/src/tokens/session-cleaner';
import {
  decodeJwt,
  LoggedIn,
  login,
  me,
  PASSWORD,
  refreshCookie,
  signedIn,
  refreshCookieLine,
  register,
  uniqueEmail,
} from './support/auth-client';
import { all, statusCounts } from './support/concurrent';
import { describeEachDatabase } from './support/databases';
import { DpopKey } from './support/dpop-key';
import { addressedTo, CODE_MAIL_SUBJECT, codeIn, CodeMails, wrongCode } from './support/email-code';
import { expectNestError, expectRefused, expectTokens } from './support/expectations';
import { TestMailbox } from './support/mailbox';
import { alternatingMedians, expectComparable, millisecondsOf } from './support/timing';
import { APP_URL, PUBLIC_URL } from './support/oauth-flow';
import { Env, TestApp } from './support/test-app';
import { enrolTotp } from './support/totp';
import { mailedToken } from './support/verified-sign-up';
import { WebhookReceiver } from './support/webhook-receiver';

const ADMIN_PASSWORD = 'the email code administrator passphrase';
const EVIL = 'https://evil.example';
const REQUEST = '/api/auth/email-code';
const VERIFY = '/api/auth/email-code/verify';
/** Tries a code takes before it ends, the right one included. */
const MAX_TRIES = 5;
const DEFAULT_TTL_SECONDS = 10 * 60;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The row of an address's live code, as the database holds it. */
interface CodeRow {
  email: string;
  user_id: string | null;
  code_hash: Buffer;
  attempts: number;
  consumed_at: Date | null;
  /** Seconds from created_at to expires_at. */
  ttl: number;
}

interface Account {
  email: string;
  userId: string;
}

interface Event {
  type: string;
  details: Record<string, unknown>;
}

describeEachDatabase('sign-in with a code by email', (kind) => {
  const adminEmail = `admin-${randomUUID()}@example.com`;
  const baseEnv: Env = {
    APP_URL,
    PUBLIC_URL,
    ADMIN_EMAIL: adminEmail,
    ADMIN_PASSWORD,
    // Client addresses come from X-Forwarded-For: the limits' part gives each request an address of its own.
    TRUST_PROXY: 'true',
    // The races below fire a hundred tries at once; the limits have their own part at the end.
    THROTTLE_LOGIN_LIMIT: '100000',
    THROTTLE_RECOVERY_LIMIT: '100000',
    DELIVERY_RETRY_FIRST: '1s',
    DELIVERY_POLL_INTERVAL: '1s',
    WEBHOOK_TIMEOUT: '2s',
  };
  let mailbox: TestMailbox;
  let receiver: WebhookReceiver;
  let app: TestApp;
  let mails: CodeMails;

  beforeAll(async () => {
    mailbox = await TestMailbox.start();
    receiver = await WebhookReceiver.start();
    mails = new CodeMails(mailbox);
    // On PostgreSQL through a relay the test can cut: an answer that waited for any work would then fail.
    app = await TestApp.start(kind, {
      env: { ...baseEnv, SMTP_URL: mailbox.url },
      throughProxy: kind === 'postgres',
    });
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.stop();
    await mailbox?.stop();
  });

  const ask = (body: unknown, headers: Record<string, string> = {}) =>
    app
      .http()
      .post(REQUEST)
      .set(headers)
      .send(body as object);
  const verify = (body: unknown, headers: Record<string, string> = {}) =>
    app
      .http()
      .post(VERIFY)
      .set(headers)
      .send(body as object);
  const bearer = (session: { accessToken: string }) => `Bearer ${session.accessToken}`;

  /** Asks for a code for `email` and returns it, read from the mail once it has arrived. */
  async function requestCode(email: string, headers: Record<string, string> = {}): Promise<string> {
    const seen = mails.to(email).length;
    const response = await ask({ email }, headers);
    expect(response.status).toBe(202);
    return mails.codeAfter(email, seen);
  }

  /** A registered account (password, address not verified). */
  async function registered(prefix: string): Promise<Account> {
    const email = uniqueEmail(prefix);
    const response = await register(app, email);
    expect(response.body.emailVerified).toBe(false);
    return { email, userId: response.body.id as string };
  }

  async function codeRow(email: string): Promise<CodeRow | undefined> {
    const [row] = await app.query<CodeRow>(
      `SELECT email, user_id, code_hash, attempts, consumed_at,
              extract(epoch FROM expires_at - created_at)::float AS ttl
         FROM email_codes WHERE email = $1`,
      [email],
    );
    return row;
  }

  async function sessionCount(userId: string): Promise<number> {
    const [{ count }] = await app.query<{ count: string }>(
      'SELECT count(*) AS count FROM sessions WHERE user_id = $1',
      [userId],
    );
    return Number(count);
  }

  /** The caller's own history, newest first. */
  async function historyOf(session: { accessToken: string }): Promise<Event[]> {
    const response = await app
      .http()
      .get('/api/auth/activity?limit=100')
      .set('Authorization', bearer(session));
    expect(response.status).toBe(200);
    return response.body.items as Event[];
  }

  /** The session a successful verify started. */
  function sessionOf(response: Response, email: string): LoggedIn {
    expect(response.status).toBe(200);
    return signedIn(response, email);
  }

  describe('asking for a code', () => {
    it('answers 202 {"status":"accepted"} alike for a known and an unknown address, and mails a code to the account only', async () => {
      const known = await registered('known');
      const unknown = uniqueEmail('nobody');
      const stranger = await ask({ email: unknown });
      const account = await ask({ email: known.email });
      expect(stranger.status).toBe(202);
      expect(account.status).toBe(202);
      expect(account.body).toEqual({ status: 'accepted' });
      expect(stranger.body).toEqual(account.body);
      expect(stranger.headers['content-type']).toBe(account.headers['content-type']);

      // The known address's mail was asked for after the unknown one's: once it is here, the other would be too.
      const mail = await mails.after(known.email, 0);
      const code = codeIn(mail);
      expect(code).toMatch(/^\d{8,}$/);
      expect(mail.subject).toBe(CODE_MAIL_SUBJECT);
      expect(mail.subject).not.toContain(code);
      await sleep(300);
      expect(mails.anyTo(unknown)).toHaveLength(0);
      expect(await app.query('SELECT 1 FROM mail_outbox WHERE "to" = $1', [unknown])).toHaveLength(0);
      expect(await codeRow(unknown)).toBeUndefined();

      const row = await codeRow(known.email);
      expect(row).toMatchObject({ user_id: known.userId, attempts: 0, consumed_at: null });
      // Valid EMAIL_CODE_TTL, 10 minutes by default.
      expect(Math.abs(row!.ttl - DEFAULT_TTL_SECONDS)).toBeLessThan(2);
    });

    it('answers a known and an unknown address in comparable time (medians of 15 within ×2)', async () => {
      const known = await registered('timing');
      // The registration's own mail first, so that no delivery of it overlaps a timed request.
      await mailbox.waitFor((m) => addressedTo(known.email)(m) && m.subject !== CODE_MAIL_SUBJECT, 10_000);
      const timed = (email: string) =>
        millisecondsOf(async () => expect((await ask({ email })).status).toBe(202));
      // Each request's work (for the account: a code, a mail and its delivery) runs on after its answer: the next
      // request is timed only once that mail has arrived and a pause has passed.
      const timeKnown = async () => {
        const seen = mails.to(known.email).length;
        const ms = await timed(known.email);
        await mails.after(known.email, seen);
        await sleep(100);
        return ms;
      };
      const timeUnknown = async () => {
        const ms = await timed(uniqueEmail('timing-nobody'));
        await sleep(100);
        return ms;
      };
      // Both paths warmed up untimed first.
      await alternatingMedians(1, timeKnown, timeUnknown);
      expectComparable(await alternatingMedians(15, timeKnown, timeUnknown));
    });

    if (kind === 'postgres') {
      it('answers before any work: with the database out of reach, a known and an unknown address both get 202', async () => {
        const known = await registered('cut');
        const seen = mails.to(known.email).length;
        await app.proxy!.cut();
        let answers: { status: number; body: unknown }[];
        try {
          answers = [await ask({ email: known.email }), await ask({ email: uniqueEmail('cut-nobody') })];
        } finally {
          await app.proxy!.restore();
        }
        expect(answers.map(({ status, body }) => ({ status, body }))).toEqual([
          { status: 202, body: { status: 'accepted' } },
          { status: 202, body: { status: 'accepted' } },
        ]);
        // The work, retried once the database is back, still mails the account its code.
        expect(await mails.codeAfter(known.email, seen, 20_000)).toMatch(/^\d{8}$/);
      }, 40_000);
    }

    it('reads the address as the account has it: asked in capitals, the code is mailed to the account and works', async () => {
      const account = await registered('capitals');
      const shouted = `  ${account.email.toUpperCase()} `;
      await ask({ email: shouted }).expect(202);
      const code = await mails.codeAfter(account.email, 0);
      expect(mails.to(account.email)).toHaveLength(1);
      const response = await verify({ email: account.email.toUpperCase(), code });
      expect(response.status).toBe(200);
      expect(response.body.user.id).toBe(account.userId);
    });

    it('answers 400, never 500, to a missing or malformed address', async () => {
      for (const body of [
        {},
        { email: null },
        { email: 7 },
        { email: '' },
        { email: 'not-an-email' },
        { email: ['someone@example.com'] },
        { email: { address: 'someone@example.com' } },
        { email: `${'a'.repeat(250)}@example.com` },
      ]) {
        const response = await ask(body);
        expect({ body, status: response.status }).toEqual({ body, status: 400 });
        expectNestError(response.body, 400);
      }
    });
  });

  describe('signing in with the code', () => {
    it('answers exactly as login: tokens, the HttpOnly refresh cookie, no-store; amr ["otp"]; the address is verified', async () => {
      const account = await registered('signin');
      const code = await requestCode(account.email);
      const response = await verify({ email: account.email, code });

      expectTokens(response);
      expect(refreshCookieLine(response)).toMatch(/;\s*HttpOnly/i);
      expect(response.headers['cache-control']).toMatch(/no-store/);
      expect(response.body.user).toMatchObject({
        id: account.userId,
        email: account.email,
        emailVerified: true,
      });
      const claims = decodeJwt(response.body.accessToken as string).payload;
      expect(claims.amr).toEqual(['otp']);
      expect(claims.sub).toBe(account.userId);

      const session = sessionOf(response, account.email);
      const current = await me(app, session.accessToken).expect(200);
      expect(current.body.emailVerified).toBe(true);
      // A session like any other: its cookie refreshes, and the refresh keeps how the user signed in.
      const refreshed = await app.http().post('/api/auth/refresh').set('Cookie', session.cookie);
      expect(refreshed.status).toBe(200);
      expect(decodeJwt(refreshed.body.accessToken as string).payload.amr).toEqual(['otp']);
      // The password still works too: the code was one more way in, not a change of credentials.
      await login(app, account.email);
    });

    it('takes the code typed with spaces or a dash between its digits', async () => {
      const account = await registered('typed');
      const code = await requestCode(account.email);
      const typed = `${code.slice(0, 4)} - ${code.slice(4)} `;
      const response = await verify({ email: account.email, code: typed });
      expect(response.status).toBe(200);
      expect(response.body.user.id).toBe(account.userId);
    });

    it('refuses a wrong code with 401; the right code still works after fewer than five wrong ones', async () => {
      const account = await registered('wrong');
      const code = await requestCode(account.email);
      for (let i = 0; i < MAX_TRIES - 1; i++) {
        expectRefused(await verify({ email: account.email, code: wrongCode(code, i) }), 401);
      }
      expect((await codeRow(account.email))?.attempts).toBe(MAX_TRIES - 1);
      const response = await verify({ email: account.email, code });
      expectTokens(response);
      expect(response.body.user.id).toBe(account.userId);
    });

    it('ends the code after five wrong ones: the right code is then 401', async () => {
      const account = await registered('five');
      const code = await requestCode(account.email);
      for (let i = 0; i < MAX_TRIES; i++) {
        expectRefused(await verify({ email: account.email, code: wrongCode(code, i) }), 401);
      }
      expectRefused(await verify({ email: account.email, code }), 401);
      expect(await sessionCount(account.userId)).toBe(0);
      // A new code is a fresh start.
      const next = await requestCode(account.email);
      expect((await verify({ email: account.email, code: next })).status).toBe(200);
    });

    it('refuses a code used once already (401)', async () => {
      const account = await registered('reused');
      const code = await requestCode(account.email);
      await verify({ email: account.email, code }).expect(200);
      expectRefused(await verify({ email: account.email, code }), 401);
      expect(await sessionCount(account.userId)).toBe(1);
    });

    it('refuses an expired code (401), without counting the try', async () => {
      const account = await registered('expired');
      const code = await requestCode(account.email);
      // The database's clock decides expiry: put the code's end in its past.
      await app.query("UPDATE email_codes SET expires_at = now() - interval '1 second' WHERE email = $1", [
        account.email,
      ]);
      expectRefused(await verify({ email: account.email, code }), 401);
      expect(await codeRow(account.email)).toMatchObject({ attempts: 0, consumed_at: null });
      expect(await sessionCount(account.userId)).toBe(0);
    });

    it('ends the older code when a newer one is asked for: the first is 401, the second works', async () => {
      const account = await registered('superseded');
      const first = await requestCode(account.email);
      const second = await requestCode(account.email);
      expect(second).not.toBe(first);
      expectRefused(await verify({ email: account.email, code: first }), 401);
      expect((await verify({ email: account.email, code: second })).status).toBe(200);
    });

    it('answers 401 for an address with no code, known or not', async () => {
      const account = await registered('no-code');
      expectRefused(await verify({ email: account.email, code: '12345678' }), 401);
      expectRefused(await verify({ email: uniqueEmail('no-code-nobody'), code: '12345678' }), 401);
    });

    it('tells a wrong code from a used, expired, replaced or missing one by nothing: one body for all', async () => {
      const account = await registered('one-body');
      const code = await requestCode(account.email);
      const bodies: Record<string, unknown> = {};
      bodies.wrong = (await verify({ email: account.email, code: wrongCode(code) }).expect(401)).body;
      await verify({ email: account.email, code }).expect(200);
      bodies.used = (await verify({ email: account.email, code }).expect(401)).body;
      const replaced = await requestCode(account.email);
      const live = await requestCode(account.email);
      bodies.replaced = (await verify({ email: account.email, code: replaced }).expect(401)).body;
      await app.query("UPDATE email_codes SET expires_at = now() - interval '1 second' WHERE email = $1", [
        account.email,
      ]);
      bodies.expired = (await verify({ email: account.email, code: live }).expect(401)).body;
      bodies.missing = (await verify({ email: uniqueEmail('one-body-nobody'), code }).expect(401)).body;
      for (const body of Object.values(bodies)) expect(body).toEqual(bodies.wrong);
    });

    it('keeps only a keyed hash of the code, counts every try, and never logs the code', async () => {
      const account = await registered('hashed');
      const code = await requestCode(account.email);
      const row = (await codeRow(account.email))!;
      const hash = Buffer.from(row.code_hash);
      const hex = hash.toString('hex');
      expect(hash.length).toBeGreaterThanOrEqual(32);
      expect(hex).not.toContain(code);
      expect(hex).not.toContain(Buffer.from(code).toString('hex'));
      // Not a bare hash either: 10^8 codes are searched in seconds without a key.
      for (const text of [code, `${account.email}\n${code}`, `${account.email}${code}`]) {
        expect(hex).not.toBe(createHash('sha256').update(text).digest('hex'));
      }
      const everything = await app.query<Record<string, unknown>>(
        "SELECT to_jsonb(c)::text AS row, encode(code_hash, 'escape') AS raw FROM email_codes c WHERE email = $1",
        [account.email],
      );
      expect(JSON.stringify(everything)).not.toContain(code);

      await verify({ email: account.email, code: wrongCode(code, 0) }).expect(401);
      await verify({ email: account.email, code: wrongCode(code, 1) }).expect(401);
      expect(await codeRow(account.email)).toMatchObject({ attempts: 2, consumed_at: null });
      await verify({ email: account.email, code }).expect(200);
      const used = (await codeRow(account.email))!;
      expect(used.attempts).toBe(3);
      expect(used.consumed_at).not.toBeNull();
      expect(app.logs.lines.join('\n')).not.toContain(code);
    });
  });

  describe('tries at once', () => {
    it('100 concurrent wrong codes: each is 401, the row counts exactly five, and the right code is then 401', async () => {
      const account = await registered('race-wrong');
      const code = await requestCode(account.email);
      const answers = await all(100, (i) => verify({ email: account.email, code: wrongCode(code, i) }));
      expect(statusCounts(answers)).toEqual({ 401: 100 });
      for (const answer of answers) expect(refreshCookie(answer)).toBeUndefined();
      expect((await codeRow(account.email))?.attempts).toBe(MAX_TRIES);
      expectRefused(await verify({ email: account.email, code }), 401);
      expect(await sessionCount(account.userId)).toBe(0);
    });

    it('20 concurrent tries with the right code: exactly one signs in', async () => {
      const account = await registered('race-right');
      const code = await requestCode(account.email);
      const answers = await all(20, () => verify({ email: account.email, code }));
      expect(statusCounts(answers)).toEqual({ 200: 1, 401: 19 });
      expect(answers.filter((answer) => refreshCookie(answer) !== undefined)).toHaveLength(1);
      expect(await sessionCount(account.userId)).toBe(1);
    });
  });

  describe('the sign-in function has the last word', () => {
    let admin: LoggedIn;
    beforeAll(async () => {
      admin = await login(app, adminEmail, ADMIN_PASSWORD);
    });

    it('a disabled account: the right code answers 403 "account is disabled" and starts no session', async () => {
      const account = await registered('disabled');
      const code = await requestCode(account.email);
      await app
        .http()
        .post(`/api/admin/users/${account.userId}/disable`)
        .set('Authorization', bearer(admin))
        .expect(204);
      const response = await verify({ email: account.email, code });
      expectRefused(response, 403);
      expect(response.body.message).toBe('account is disabled');
      expect(response.body.accessToken).toBeUndefined();
      expect(await sessionCount(account.userId)).toBe(0);
    });

    it('with the second factor on: an mfa challenge and no cookie; mfa/verify then signs in with amr otp+mfa', async () => {
      const account = await registered('totp');
      // Signing in by code proves the address, which turning the factor on requires.
      const first = sessionOf(
        await verify({ email: account.email, code: await requestCode(account.email) }),
        account.email,
      );
      const { authenticator } = await enrolTotp(app, first);

      const challenged = await verify({ email: account.email, code: await requestCode(account.email) });
      expect(challenged.status).toBe(200);
      expect(Object.keys(challenged.body as object).sort()).toEqual([
        'expiresIn',
        'methods',
        'mfaRequired',
        'mfaToken',
      ]);
      expect(challenged.body.mfaRequired).toBe(true);
      expect(challenged.body.methods).toContain('totp');
      expect(typeof challenged.body.mfaToken).toBe('string');
      expect(challenged.body.expiresIn).toBeGreaterThan(0);
      expect(refreshCookie(challenged)).toBeUndefined();
      const sessionsBefore = await sessionCount(account.userId);

      const verified = await app
        .http()
        .post('/api/auth/mfa/verify')
        .send({ mfaToken: challenged.body.mfaToken, code: await authenticator.nextCode() });
      expectTokens(verified);
      expect(decodeJwt(verified.body.accessToken as string).payload.amr).toEqual(['otp', 'mfa']);
      expect(await sessionCount(account.userId)).toBe(sessionsBefore + 1);
    });

    it('a code sent before the account moved to another address signs nobody in (401)', async () => {
      const account = await registered('moving');
      const code = await requestCode(account.email);
      const session = await login(app, account.email);
      const newEmail = uniqueEmail('moved');
      await app
        .http()
        .post('/api/users/me/email')
        .set('Authorization', bearer(session))
        .send({ newEmail, currentPassword: PASSWORD })
        .expect(202);
      const token = await mailedToken(app, newEmail, 'confirm-email', mailbox);
      await app.http().post('/api/auth/confirm-email').send({ token }).expect(204);
      expectRefused(await verify({ email: account.email, code }), 401);
      expectRefused(await verify({ email: newEmail, code }), 401);
    });

    it('refuses a cross-site verify (403) before the code is tried; the code then works from the same origin', async () => {
      const account = await registered('csrf');
      const code = await requestCode(account.email);
      const crossSite: Record<string, string>[] = [{ Origin: EVIL }, { 'Sec-Fetch-Site': 'cross-site' }];
      for (const headers of crossSite) {
        const response = await verify({ email: account.email, code }, headers);
        expectRefused(response, 403);
        expect(response.body.accessToken).toBeUndefined();
      }
      // A wrong code from a foreign page is not even counted.
      expectRefused(await verify({ email: account.email, code: wrongCode(code) }, { Origin: EVIL }), 403);
      expect(await codeRow(account.email)).toMatchObject({ attempts: 0, consumed_at: null });
      expect(await sessionCount(account.userId)).toBe(0);
      expectTokens(await verify({ email: account.email, code }));
    });

    it('binds the session to a DPoP key, and gives a native client its refresh token in the body', async () => {
      const account = await registered('dpop');
      const proofFor = (key: DpopKey, path: string) => key.proof('POST', `${PUBLIC_URL}${path}`);

      const key = await DpopKey.generate();
      const code = await requestCode(account.email);
      // A proof for another URL is refused before the code is tried: the code is neither spent nor counted.
      const misdirected = await verify(
        { email: account.email, code },
        { DPoP: await proofFor(key, '/api/auth/login') },
      );
      expect([400, 401]).toContain(misdirected.status);
      expect(misdirected.body.error).toBe('invalid_dpop_proof');
      expect(refreshCookie(misdirected)).toBeUndefined();
      expect(await codeRow(account.email)).toMatchObject({ attempts: 0, consumed_at: null });

      const bound = await verify({ email: account.email, code }, { DPoP: await proofFor(key, VERIFY) });
      expect({ status: bound.status, tokenType: bound.body.tokenType }).toEqual({
        status: 200,
        tokenType: 'DPoP',
      });
      const claims = decodeJwt(bound.body.accessToken as string).payload;
      expect(claims.cnf).toEqual({ jkt: key.jkt });
      expect(claims.amr).toEqual(['otp']);
      expect(refreshCookie(bound)).toBeDefined();
      expect(bound.body.refreshToken).toBeUndefined();

      const native = await DpopKey.generate();
      const inBody = await verify(
        { email: account.email, code: await requestCode(account.email), refreshTokenInBody: true },
        { DPoP: await proofFor(native, VERIFY) },
      );
      expect({ status: inBody.status, tokenType: inBody.body.tokenType }).toEqual({
        status: 200,
        tokenType: 'DPoP',
      });
      expect(decodeJwt(inBody.body.accessToken as string).payload.cnf).toEqual({ jkt: native.jkt });
      expect(refreshCookie(inBody)).toBeUndefined();
      expect(typeof inBody.body.refreshToken).toBe('string');
      const rotated = await app
        .http()
        .post('/api/auth/refresh')
        .set('DPoP', await proofFor(native, '/api/auth/refresh'))
        .send({ refreshToken: inBody.body.refreshToken });
      expect({ status: rotated.status, tokenType: rotated.body.tokenType }).toEqual({
        status: 200,
        tokenType: 'DPoP',
      });

      // Without a proof the refresh token is never handed out in a body: a bearer session, with the cookie.
      const plain = await verify({
        email: account.email,
        code: await requestCode(account.email),
        refreshTokenInBody: true,
      });
      expect({ status: plain.status, tokenType: plain.body.tokenType }).toEqual({
        status: 200,
        tokenType: 'Bearer',
      });
      expect(plain.body.refreshToken).toBeUndefined();
      expect(refreshCookie(plain)).toBeDefined();
    });
  });

  describe('bad input', () => {
    it('answers 400, never 500, to a malformed verify body, and leaves the code untouched', async () => {
      const account = await registered('bad-body');
      const code = await requestCode(account.email);
      const { email } = account;
      for (const body of [
        {},
        { code },
        { email },
        { email, code: Number(code) },
        { email, code: null },
        { email, code: '' },
        { email, code: [code] },
        { email, code: { code } },
        { email, code: '1'.repeat(33) },
        { email: 'not-an-email', code },
        { email: 7, code },
        { email: [email], code },
        { email, code, refreshTokenInBody: 'yes' },
      ]) {
        const response = await verify(body);
        expect({ body, status: response.status }).toEqual({ body, status: 400 });
        expectNestError(response.body, 400);
        expect(refreshCookie(response)).toBeUndefined();
      }
      expect(await codeRow(email)).toMatchObject({ attempts: 0, consumed_at: null });
      expectTokens(await verify({ email, code }));
    });
  });

  describe('history and clean-up', () => {
    it('the account history lists the code sent, the wrong try, the verification and the sign-in with amr ["otp"]', async () => {
      const account = await registered('history');
      const code = await requestCode(account.email);
      await verify({ email: account.email, code: wrongCode(code) }).expect(401);
      const session = sessionOf(await verify({ email: account.email, code }), account.email);

      const items = await historyOf(session);
      expect(items).toContainEqual(
        expect.objectContaining({
          type: 'email_code.sent',
          details: expect.objectContaining({ known: true, sent: true }) as unknown,
        }),
      );
      expect(items).toContainEqual(
        expect.objectContaining({
          type: 'login.failed',
          details: expect.objectContaining({ reason: 'wrong_code' }) as unknown,
        }),
      );
      expect(items.map((item) => item.type)).toContain('email.verified');
      const succeeded = items.filter((item) => item.type === 'login.succeeded');
      expect(succeeded).toHaveLength(1);
      expect(succeeded[0].details.amr).toEqual(['otp']);
      expect(JSON.stringify(items)).not.toContain(code);
    });

    it('the clean-up deletes expired codes and keeps live ones', async () => {
      const expired = await registered('cleanup-expired');
      const live = await registered('cleanup-live');
      await requestCode(expired.email);
      await requestCode(live.email);
      await app.query("UPDATE email_codes SET expires_at = now() - interval '1 minute' WHERE email = $1", [
        expired.email,
      ]);
      const result = await app.app.get(SessionCleaner).runOnce();
      expect(result.oneTimeRecords).toBeGreaterThanOrEqual(1);
      expect(await codeRow(expired.email)).toBeUndefined();
      expect(await codeRow(live.email)).toMatchObject({ attempts: 0, consumed_at: null });
    });
  });

  /** A sign-up code mailed while sign-up was on, to be tried once it is off. */
  let signUpCodeLeftOver: { email: string; code: string } | undefined;

  describe('sign-up by code (EMAIL_CODE_SIGNUP=true)', () => {
    let hookPath: string;

    beforeAll(async () => {
      await app.restart({ EMAIL_CODE_SIGNUP: 'true' });
      const admin = await login(app, adminEmail, ADMIN_PASSWORD);
      hookPath = `/hooks/${randomUUID()}`;
      await app
        .http()
        .post('/api/admin/webhooks')
        .set('Authorization', bearer(admin))
        .send({ url: receiver.url(hookPath), events: ['user.created'] })
        .expect(201);
    });

    /** The user.created payloads delivered for `email`. */
    const createdFor = (email: string) =>
      receiver
        .accepted(hookPath)
        .map((request) => JSON.parse(request.body) as { type: string; data: { id: string; email: string } })
        .filter((payload) => payload.type === 'user.created' && payload.data.email === email);

    it('mails an unknown address a code; its first use creates the account, verified, with no password; the next signs into it', async () => {
      const email = uniqueEmail('newcomer');
      const code = await requestCode(email);
      expect(await app.query('SELECT id FROM users WHERE email = $1', [email])).toHaveLength(0);
      expect(await codeRow(email)).toMatchObject({ user_id: null, attempts: 0 });

      const created = await verify({ email, code });
      expectTokens(created);
      expect(created.body.user).toMatchObject({ email, emailVerified: true, displayName: null });
      expect(decodeJwt(created.body.accessToken as string).payload.amr).toEqual(['otp']);
      const session = sessionOf(created, email);
      const current = await me(app, session.accessToken).expect(200);
      expect(current.body).toMatchObject({ id: session.userId, email, emailVerified: true });
      const [user] = await app.query<{ password_hash: string | null }>(
        'SELECT password_hash FROM users WHERE email = $1',
        [email],
      );
      expect(user.password_hash).toBeNull();
      await app.http().post('/api/auth/login').send({ email, password: PASSWORD }).expect(401);

      await receiver.until(() => createdFor(email).length > 0, 10_000, `user.created for ${email}`);
      expect(createdFor(email)[0].data.id).toBe(session.userId);
      expect((await historyOf(session)).map((item) => item.type)).toContain('account.created');

      // The address is an account's now: the next code signs into that same account.
      const again = await verify({ email, code: await requestCode(email) });
      expect(again.status).toBe(200);
      expect(again.body.user.id).toBe(session.userId);
      expect(await app.query('SELECT id FROM users WHERE email = $1', [email])).toHaveLength(1);
      await sleep(1500);
      expect(createdFor(email)).toHaveLength(1);
    });

    it('a sign-up code does not enter an account registered for the address after it was sent (401)', async () => {
      const email = uniqueEmail('taken-meanwhile');
      const code = await requestCode(email);
      const registeredMeanwhile = await register(app, email);
      const response = await verify({ email, code });
      expectRefused(response, 401);
      const users = await app.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]);
      expect(users).toEqual([{ id: registeredMeanwhile.body.id }]);
      expect(await sessionCount(users[0].id)).toBe(0);
    });

    it('mails a sign-up code that outlives the setting (used once sign-up is off, below)', async () => {
      const email = uniqueEmail('signup-then-off');
      signUpCodeLeftOver = { email, code: await requestCode(email) };
      expect(await codeRow(email)).toMatchObject({ user_id: null, attempts: 0 });
    });
  });

  describe('limits (THROTTLE_RECOVERY_LIMIT=2, THROTTLE_LOGIN_LIMIT=3)', () => {
    let nextAddress = 1;
    const fresh = () => ({ 'X-Forwarded-For': `198.51.100.${nextAddress++}` });

    beforeAll(async () => {
      await app.restart({
        EMAIL_CODE_SIGNUP: undefined,
        THROTTLE_RECOVERY_LIMIT: '2',
        THROTTLE_RECOVERY_TTL: '900',
        THROTTLE_LOGIN_LIMIT: '3',
        THROTTLE_LOGIN_TTL: '60',
      });
    });

    it('a sign-up code asked for while sign-up was on creates nothing once it is off (401)', async () => {
      const { email, code } = signUpCodeLeftOver!;
      expectRefused(await verify({ email, code }, fresh()), 401);
      expect(await app.query('SELECT id FROM users WHERE email = $1', [email])).toEqual([]);
    });

    function expectThrottled(response: Response): void {
      expect(response.status).toBe(429);
      expectNestError(response.body, 429);
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }

    it('limits code requests per address across client addresses, and mails nothing past the limit', async () => {
      const account = await registered('flood');
      await ask({ email: account.email }, fresh()).expect(202);
      await ask({ email: account.email }, fresh()).expect(202);
      expectThrottled(await ask({ email: account.email }, fresh()));
      await mails.after(account.email, 1);
      await sleep(1000);
      expect(mails.to(account.email)).toHaveLength(2);
    });

    it('limits code requests per client address across addresses', async () => {
      const from = fresh();
      await ask({ email: uniqueEmail('spray-a') }, from).expect(202);
      await ask({ email: uniqueEmail('spray-b') }, from).expect(202);
      expectThrottled(await ask({ email: uniqueEmail('spray-c') }, from));
    });

    it('limits tries per address across client addresses; the throttled try does not touch the code', async () => {
      const account = await registered('guess');
      const code = await requestCode(account.email, fresh());
      for (let i = 0; i < 3; i++) {
        expectRefused(await verify({ email: account.email, code: wrongCode(code, i) }, fresh()), 401);
      }
      expectThrottled(await verify({ email: account.email, code }, fresh()));
      expect(await codeRow(account.email)).toMatchObject({ attempts: 3, consumed_at: null });
    });

    it('counts password logins and code tries against the same per-address login limit', async () => {
      const account = await registered('mixed');
      const code = await requestCode(account.email, fresh());
      for (let i = 0; i < 3; i++) {
        await app
          .http()
          .post('/api/auth/login')
          .set(fresh())
          .send({ email: account.email, password: 'not the right passphrase' })
          .expect(401);
      }
      expectThrottled(await verify({ email: account.email, code }, fresh()));
      expect(await codeRow(account.email)).toMatchObject({ attempts: 0, consumed_at: null });
    });

    it('limits tries per client address across addresses', async () => {
      const from = fresh();
      for (let i = 0; i < 3; i++) {
        expectRefused(await verify({ email: uniqueEmail(`sweep-${i}`), code: '12345678' }, from), 401);
      }
      expectThrottled(await verify({ email: uniqueEmail('sweep-last'), code: '12345678' }, from));
    });
  });
});
