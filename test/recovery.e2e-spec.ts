import { ParsedMail } from 'mailparser';
import { login, me, PASSWORD, refresh, register, uniqueEmail } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { expectNestError } from './support/expectations';
import { TestMailbox } from './support/mailbox';
import { alternatingMedians, expectComparable, millisecondsOf } from './support/timing';
import { TestApp } from './support/test-app';

const APP_URL = 'https://app.example.com';
const NEW_PASSWORD = 'a fresh passphrase after forgetting';
const LINK = (kind: string) =>
  new RegExp(`^${APP_URL.replace(/\./g, '\\.')}/#${kind}=([A-Za-z0-9_-]{43,})$`, 'm');

/** The token of the link of `kind` in a message's plain-text part, on a line of its own. */
function tokenIn(message: ParsedMail, kind: string): string {
  const match = LINK(kind).exec(message.text ?? '');
  if (!match) throw new Error(`no ${kind} link in:\n${message.text}`);
  return match[1];
}

describeEachDatabase('email verification and password reset', (kind) => {
  let mailbox: TestMailbox;
  let app: TestApp;

  beforeAll(async () => {
    mailbox = await TestMailbox.start();
    app = await TestApp.start(kind, {
      env: { SMTP_URL: mailbox.url, APP_URL, THROTTLE_RECOVERY_LIMIT: '1000' },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.stop();
  });

  const to = (email: string) => (message: ParsedMail) =>
    message.to !== undefined && JSON.stringify(message.to).includes(email);
  const mailTo = (email: string, subject: RegExp) =>
    mailbox.waitFor((m) => to(email)(m) && subject.test(m.subject ?? ''), 10_000);
  const verify = (token: unknown) => app.http().post('/api/auth/verify-email').send({ token });
  const forgot = (email: unknown) => app.http().post('/api/auth/password/forgot').send({ email });
  const reset = (token: unknown, newPassword: unknown = NEW_PASSWORD) =>
    app.http().post('/api/auth/password/reset').send({ token, newPassword });
  const resend = (accessToken: string) =>
    app.http().post('/api/auth/verify-email/resend').set('Authorization', `Bearer ${accessToken}`);

  describe('verification', () => {
    it('sends a link on registration; the link verifies the address once', async () => {
      const email = uniqueEmail('verify');
      const registered = await register(app, email);
      expect(registered.body.emailVerified).toBe(false);
      const message = await mailTo(email, /confirm/i);
      const token = tokenIn(message, 'verify-email');

      await verify(token).expect(204);
      const session = await login(app, email);
      expect(session.response.body.user.emailVerified).toBe(true);
      expect((await me(app, session.accessToken)).body.emailVerified).toBe(true);
      expectNestError((await verify(token).expect(400)).body, 400);
    });

    it('answers 400, never 500, to garbage, another purpose’s token and bad bodies', async () => {
      for (const token of ['garbage', 'A'.repeat(43), '', null, 42, ['x'], { a: 1 }, 'é'.repeat(100)]) {
        const response = await verify(token);
        expect(response.status).toBe(400);
        expectNestError(response.body, 400);
      }
      const email = uniqueEmail('purpose');
      await register(app, email);
      await forgot(email).expect(202);
      const resetToken = tokenIn(await mailTo(email, /reset/i), 'reset-password');
      await verify(resetToken).expect(400);
      // The reset link was not used up by the wrong route.
      await reset(resetToken).expect(204);
    });

    it('resends a fresh link, the earlier one stops working, and refuses once verified', async () => {
      const email = uniqueEmail('resend');
      await register(app, email);
      const first = tokenIn(await mailTo(email, /confirm/i), 'verify-email');
      const session = await login(app, email);
      await resend(session.accessToken).expect(202);
      const messages = () => mailbox.messages.filter(to(email));
      const deadline = Date.now() + 10_000;
      while (messages().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const second = tokenIn(messages()[1], 'verify-email');
      expect(second).not.toBe(first);
      await verify(first).expect(400);
      await verify(second).expect(204);
      await resend(session.accessToken).expect(409);
    });

    it('needs a bearer token to resend', async () => {
      await app.http().post('/api/auth/verify-email/resend').expect(401);
    });

    it('stores only a hash of each token', async () => {
      const email = uniqueEmail('hashed');
      await register(app, email);
      const token = tokenIn(await mailTo(email, /confirm/i), 'verify-email');
      const rows = await app.query<{ token_hash: string }>(
        `SELECT t.token_hash FROM email_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = $1`,
        [email],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows)).not.toContain(token);
    });
  });

  describe('forgotten password', () => {
    it('answers 202 with the same body for a known and an unknown address, and mails only the known one', async () => {
      const email = uniqueEmail('known');
      await register(app, email);
      const unknown = uniqueEmail('unknown');
      const known = await forgot(email).expect(202);
      const stranger = await forgot(unknown).expect(202);
      expect(stranger.body).toEqual(known.body);
      await mailTo(email, /reset/i);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(mailbox.messages.filter(to(unknown))).toHaveLength(0);
    });

    it('answers 400 to something that is not an email', async () => {
      for (const email of ['not-an-email', '', null, 7, ['a@example.com']]) {
        expectNestError((await forgot(email).expect(400)).body, 400);
      }
    });

    it('resets the password: every session dies, the address is verified, a notice goes out, no session starts', async () => {
      const email = uniqueEmail('reset');
      await register(app, email);
      const session = await login(app, email);
      await forgot(email).expect(202);
      const token = tokenIn(await mailTo(email, /reset/i), 'reset-password');

      const answer = await reset(token).expect(204);
      expect(answer.headers['set-cookie']).toBeUndefined();
      await me(app, session.accessToken).expect(401);
      await refresh(app, session.cookie).expect(401);
      await app.http().post('/api/auth/login').send({ email, password: PASSWORD }).expect(401);
      const after = await login(app, email, NEW_PASSWORD);
      expect(after.response.body.user.emailVerified).toBe(true);
      const notice = await mailTo(email, /password was changed/i);
      expect(notice.text).not.toMatch(/#reset-password=/);
      await reset(token, 'yet another passphrase for the same link').expect(400);
    });

    it('keeps the link usable when the policy refuses the new password', async () => {
      const email = uniqueEmail('policy');
      await register(app, email);
      await forgot(email).expect(202);
      const token = tokenIn(await mailTo(email, /reset/i), 'reset-password');
      expectNestError((await reset(token, 'short').expect(400)).body, 400);
      expectNestError((await reset(token, 'x'.repeat(129)).expect(400)).body, 400);
      await reset(token).expect(204);
    });

    it('makes older reset links stop working when a new one is asked for', async () => {
      const email = uniqueEmail('twice');
      await register(app, email);
      await forgot(email).expect(202);
      const first = tokenIn(await mailTo(email, /reset/i), 'reset-password');
      await forgot(email).expect(202);
      const deadline = Date.now() + 10_000;
      const resets = () => mailbox.messages.filter((m) => to(email)(m) && /reset/i.test(m.subject ?? ''));
      while (resets().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const second = tokenIn(resets()[1], 'reset-password');
      await reset(first).expect(400);
      await reset(second).expect(204);
    });

    it('gives one success to two concurrent resets with one link', async () => {
      const email = uniqueEmail('race');
      await register(app, email);
      await forgot(email).expect(202);
      const token = tokenIn(await mailTo(email, /reset/i), 'reset-password');
      const answers = await Promise.all([
        reset(token, 'the first concurrent passphrase'),
        reset(token, 'the second concurrent passphrase'),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([204, 400]);
      const winner =
        answers[0].status === 204 ? 'the first concurrent passphrase' : 'the second concurrent passphrase';
      await login(app, email, winner);
    });

    it('answers 400 to a garbage or unknown token, and changes nothing', async () => {
      const email = uniqueEmail('garbage');
      await register(app, email);
      for (const token of ['garbage', 'B'.repeat(43), null, 1]) {
        expectNestError((await reset(token)).body, 400);
      }
      await login(app, email);
    });
  });

  describe('email change', () => {
    const requestChange = (accessToken: string, body: Record<string, unknown>) =>
      app.http().post('/api/users/me/email').set('Authorization', `Bearer ${accessToken}`).send(body);
    const confirm = (token: unknown) => app.http().post('/api/auth/confirm-email').send({ token });

    it('mails the new address a link and the old one a notice; the link moves the account and ends other sessions', async () => {
      const email = uniqueEmail('old');
      const newEmail = uniqueEmail('new');
      await register(app, email);
      const asking = await login(app, email);
      const other = await login(app, email);
      const answer = await requestChange(asking.accessToken, { newEmail, currentPassword: PASSWORD });
      expect(answer.status).toBe(202);
      // Nothing changes yet.
      expect((await me(app, asking.accessToken)).body.email).toBe(email);
      const notice = await mailTo(email, /change of your email/i);
      expect(notice.text).not.toMatch(/#confirm-email=/);
      expect(notice.text).not.toContain(newEmail);
      const token = tokenIn(await mailTo(newEmail, /confirm your new/i), 'confirm-email');

      await confirm(token).expect(204);
      const current = await me(app, asking.accessToken).expect(200);
      expect(current.body).toMatchObject({ email: newEmail, emailVerified: true });
      await me(app, other.accessToken).expect(401);
      await refresh(app, other.cookie).expect(401);
      await refresh(app, asking.cookie).expect(200);
      await app.http().post('/api/auth/login').send({ email, password: PASSWORD }).expect(401);
      await login(app, newEmail);
      await confirm(token).expect(400);
      // Told at both ends: the new address that the change happened, the old one that it is no longer used.
      await mailTo(newEmail, /^Your email address was changed$/);
      const left = await mailTo(email, /^Your account no longer uses this email address$/);
      expect(left.text).not.toContain(newEmail);
    });

    it('refuses a wrong password (403), a taken address (409) and a bad body (400), and sends nothing', async () => {
      const email = uniqueEmail('refusals');
      const taken = uniqueEmail('taken');
      await register(app, email);
      await register(app, taken);
      const session = await login(app, email);
      // Their verification messages first: from then on, nothing more may arrive.
      await mailTo(email, /confirm your email/i);
      await mailTo(taken, /confirm your email/i);
      const before = mailbox.messages.length;
      await requestChange(session.accessToken, {
        newEmail: uniqueEmail('x'),
        currentPassword: 'not the password at all',
      }).expect(403);
      await requestChange(session.accessToken, { newEmail: taken, currentPassword: PASSWORD }).expect(409);
      await requestChange(session.accessToken, {
        newEmail: taken.toUpperCase(),
        currentPassword: PASSWORD,
      }).expect(409);
      for (const body of [
        { newEmail: 'nope', currentPassword: PASSWORD },
        { newEmail: null, currentPassword: PASSWORD },
        {},
      ]) {
        expectNestError((await requestChange(session.accessToken, body).expect(400)).body, 400);
      }
      await app
        .http()
        .post('/api/users/me/email')
        .send({ newEmail: uniqueEmail('y'), currentPassword: PASSWORD })
        .expect(401);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(mailbox.messages.length).toBe(before);
    });

    it('answers 409 when the address was taken meanwhile, and the account keeps its address', async () => {
      const email = uniqueEmail('slow');
      const newEmail = uniqueEmail('contested');
      await register(app, email);
      const session = await login(app, email);
      await requestChange(session.accessToken, { newEmail, currentPassword: PASSWORD }).expect(202);
      const token = tokenIn(await mailTo(newEmail, /confirm your new/i), 'confirm-email');
      await register(app, newEmail);
      expectNestError((await confirm(token).expect(409)).body, 409);
      expect((await me(app, session.accessToken).expect(200)).body.email).toBe(email);
    });
  });

  describe('links die with what they were made under', () => {
    const requestChange = (accessToken: string, newEmail: string) =>
      app
        .http()
        .post('/api/users/me/email')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ newEmail, currentPassword: PASSWORD });
    const confirm = (token: unknown) => app.http().post('/api/auth/confirm-email').send({ token });

    /** A signed-in user with a reset link and an email-change link outstanding. */
    async function withOutstandingLinks(prefix: string) {
      const email = uniqueEmail(prefix);
      const newEmail = uniqueEmail(`${prefix}-new`);
      await register(app, email);
      const session = await login(app, email);
      await forgot(email).expect(202);
      const resetToken = tokenIn(await mailTo(email, /reset/i), 'reset-password');
      await requestChange(session.accessToken, newEmail).expect(202);
      const changeToken = tokenIn(await mailTo(newEmail, /confirm your new/i), 'confirm-email');
      return { email, newEmail, session, resetToken, changeToken };
    }

    it('a password change ends the outstanding reset and email-change links (400), and the owner is told', async () => {
      const links = await withOutstandingLinks('changed');
      await app
        .http()
        .post('/api/auth/password')
        .set('Authorization', `Bearer ${links.session.accessToken}`)
        .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
        .expect(204);
      await mailTo(links.email, /^Your password was changed$/);
      expectNestError((await reset(links.resetToken, 'yet another passphrase').expect(400)).body, 400);
      expectNestError((await confirm(links.changeToken).expect(400)).body, 400);
      await login(app, links.email, NEW_PASSWORD);
    });

    it('logging out everywhere ends the outstanding links (400)', async () => {
      const links = await withOutstandingLinks('everywhere');
      await app
        .http()
        .post('/api/auth/logout-all')
        .set('Authorization', `Bearer ${links.session.accessToken}`)
        .expect(204);
      expectNestError((await reset(links.resetToken).expect(400)).body, 400);
      expectNestError((await confirm(links.changeToken).expect(400)).body, 400);
      await login(app, links.email);
    });

    it('an email-change link works only while the session that asked for it is live', async () => {
      const links = await withOutstandingLinks('asker-gone');
      await app.http().post('/api/auth/logout').set('Cookie', links.session.cookie).expect(204);
      expectNestError((await confirm(links.changeToken).expect(400)).body, 400);
      expect((await login(app, links.email)).response.body.user.email).toBe(links.email);
      // Nothing else was voided: the reset link still works.
      await reset(links.resetToken).expect(204);
    });

    it('a reset link sent to the former address no longer works once the address has changed', async () => {
      const links = await withOutstandingLinks('moved');
      await confirm(links.changeToken).expect(204);
      expectNestError((await reset(links.resetToken).expect(400)).body, 400);
      await login(app, links.newEmail);
    });
  });

  it('never writes a link or a token to the log', async () => {
    const email = uniqueEmail('logs');
    await register(app, email);
    const verifyToken = tokenIn(await mailTo(email, /confirm/i), 'verify-email');
    await forgot(email).expect(202);
    const resetToken = tokenIn(await mailTo(email, /reset/i), 'reset-password');
    await verify(verifyToken).expect(204);
    await reset(resetToken).expect(204);
    const logs = app.logs.lines.join('\n');
    expect(logs).not.toContain(verifyToken);
    expect(logs).not.toContain(resetToken);
    expect(logs).not.toContain('#reset-password=');
    expect(logs).toMatch(/"securityEvent":"email\.verified"/);
    expect(logs).toMatch(/"securityEvent":"password\.reset"/);
  });
});

describeEachDatabase('REQUIRE_EMAIL_VERIFICATION', (kind) => {
  let mailbox: TestMailbox;
  let app: TestApp;

  beforeAll(async () => {
    mailbox = await TestMailbox.start();
    app = await TestApp.start(kind, {
      env: { SMTP_URL: mailbox.url, APP_URL, REQUIRE_EMAIL_VERIFICATION: 'true' },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.stop();
  });

  it('refuses login with 403 "email not verified" until the link is used, then lets the user in', async () => {
    const email = uniqueEmail('required');
    await register(app, email);
    const refused = await app.http().post('/api/auth/login').send({ email, password: PASSWORD });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('email not verified');
    expect(refused.headers['set-cookie']).toBeUndefined();
    const message = await mailbox.waitFor((m) => JSON.stringify(m.to).includes(email), 10_000);
    await app
      .http()
      .post('/api/auth/verify-email')
      .send({ token: tokenIn(message, 'verify-email') })
      .expect(204);
    await login(app, email);
  });

  it('refuses a refresh with 403 while the address of a signed-in user is not verified', async () => {
    const email = uniqueEmail('refresh-required');
    await register(app, email);
    const message = await mailbox.waitFor((m) => JSON.stringify(m.to).includes(email), 10_000);
    await app
      .http()
      .post('/api/auth/verify-email')
      .send({ token: tokenIn(message, 'verify-email') })
      .expect(204);
    const session = await login(app, email);
    await app.query('UPDATE users SET email_verified_at = NULL WHERE email = $1', [email]);
    const response = await refresh(app, session.cookie);
    expect(response.status).toBe(403);
    expect(response.body.message).toBe('email not verified');
  });
});

describeEachDatabase('recovery limits and timing', (kind) => {
  let app: TestApp;
  let nextAddress = 1;
  const freshAddress = () => `198.51.100.${nextAddress++}`;

  beforeAll(async () => {
    app = await TestApp.start(kind, {
      env: { TRUST_PROXY: 'true', THROTTLE_RECOVERY_LIMIT: '2', THROTTLE_RECOVERY_TTL: '900' },
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const forgotFrom = (address: string, email: string) =>
    app.http().post('/api/auth/password/forgot').set('X-Forwarded-For', address).send({ email });

  it('limits forgotten-password requests per email across addresses and per address across emails', async () => {
    const email = uniqueEmail('flood');
    await forgotFrom(freshAddress(), email).expect(202);
    await forgotFrom(freshAddress(), email).expect(202);
    const perEmail = await forgotFrom(freshAddress(), email);
    expect(perEmail.status).toBe(429);
    expect(Number(perEmail.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    const address = freshAddress();
    await forgotFrom(address, uniqueEmail('a')).expect(202);
    await forgotFrom(address, uniqueEmail('b')).expect(202);
    expect((await forgotFrom(address, uniqueEmail('c'))).status).toBe(429);
  });

  it('counts verification resends against the account’s recovery limit', async () => {
    const email = uniqueEmail('resends');
    await register(app, email);
    const session = await login(app, email);
    const resend = () =>
      app
        .http()
        .post('/api/auth/verify-email/resend')
        .set('X-Forwarded-For', freshAddress())
        .set('Authorization', `Bearer ${session.accessToken}`);
    await resend().expect(202);
    await resend().expect(202);
    const throttled = await resend();
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('answers a known and an unknown address in comparable time', async () => {
    const email = uniqueEmail('timing');
    await register(app, email);
    const timed = (target: string) =>
      millisecondsOf(async () => expect((await forgotFrom(freshAddress(), target)).status).toBe(202));
    // The answer comes before the work, which then runs on (a known address's mail is queued and sent): each
    // timing starts after a pause. Past its limit a known address would answer 429: a fresh account each round.
    const settled = () => new Promise((resolve) => setTimeout(resolve, 100));
    const timeKnown = async (round: number) => {
      const account = uniqueEmail(`timing-${round}`);
      await register(app, account);
      await settled();
      return timed(account);
    };
    const timeUnknown = async (round: number) => {
      await settled();
      return timed(uniqueEmail(`nobody-${round}`));
    };
    expectComparable(await alternatingMedians(9, timeKnown, timeUnknown));
  });
});
