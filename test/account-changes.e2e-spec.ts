import { ParsedMail } from 'mailparser';
import { Response } from 'supertest';
import {
  decodeJwt,
  LoggedIn,
  login,
  me,
  PASSWORD,
  refresh,
  register,
  uniqueEmail,
} from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { expectNestError } from './support/expectations';
import { TestMailbox } from './support/mailbox';
import { APP_URL } from './support/oauth-flow';
import { SoftAuthenticator } from './support/soft-authenticator';
import { TestApp } from './support/test-app';
import { enrolTotp, wrongCode } from './support/totp';
import { mailedToken, signUpVerified } from './support/verified-sign-up';

/**
 * The change function, seen from outside: with nothing but an access token whose sign-in is older than
 * REAUTH_MAX_AGE, nothing about how the account is entered can change; a fresh proof can, and the owner is told;
 * every change ends the account's outstanding links and the sessions it voids.
 */
const REAUTH_MAX_AGE_SECONDS = 4;
const NEW_PASSWORD = 'another long passphrase after the change';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Signed in this long ago, every token of a sign-in is older than REAUTH_MAX_AGE. */
const AGED_AFTER_MS = REAUTH_MAX_AGE_SECONDS * 1000 + 1200;
/** The users whose sign-in must be old: made first, so that their sign-ins age together, in one wait. */
const AGED_USERS = ['victim', 'step-up', 'reauth-refresh'] as const;

function expectStepUp(response: Response): void {
  expect(response.status).toBe(401);
  const header = String(response.headers['www-authenticate']);
  expect(header).toMatch(/^Bearer /);
  expect(header).toContain('error="insufficient_user_authentication"');
  expect(header).toContain(`max_age=${REAUTH_MAX_AGE_SECONDS}`);
  expectNestError(response.body, 401);
}

describeEachDatabase('changing how a user signs in', (kind) => {
  let mailbox: TestMailbox;
  let app: TestApp;

  beforeAll(async () => {
    mailbox = await TestMailbox.start();
    app = await TestApp.start(kind, {
      env: {
        SMTP_URL: mailbox.url,
        APP_URL,
        REAUTH_MAX_AGE: `${REAUTH_MAX_AGE_SECONDS}s`,
        THROTTLE_RECOVERY_LIMIT: '1000',
        THROTTLE_MFA_LIMIT: '1000',
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.stop();
  });

  const signedIn = new Map<(typeof AGED_USERS)[number], { user: LoggedIn; at: number }>();
  beforeAll(async () => {
    for (const prefix of AGED_USERS) {
      const user = await signUpVerified(app, uniqueEmail(prefix), mailbox);
      signedIn.set(prefix, { user, at: Date.now() });
    }
  });

  /** A verified user made at the start, returned once their sign-in is older than REAUTH_MAX_AGE. */
  async function userSignedInLongAgo(prefix: (typeof AGED_USERS)[number]): Promise<LoggedIn> {
    const { user, at } = signedIn.get(prefix)!;
    const left = at + AGED_AFTER_MS - Date.now();
    if (left > 0) await sleep(left);
    return user;
  }

  const bearer = (session: { accessToken: string }) => `Bearer ${session.accessToken}`;
  const post = (path: string, session: { accessToken: string }, body?: object) =>
    app
      .http()
      .post(path)
      .set('Authorization', bearer(session))
      .send(body ?? {});
  const del = (path: string, session: { accessToken: string }, body?: object) =>
    app
      .http()
      .delete(path)
      .set('Authorization', bearer(session))
      .send(body ?? {});
  const reauthenticate = (session: { accessToken: string }, body: object) =>
    post('/api/auth/reauthenticate', session, body);

  const sentTo = (email: string) => (message: ParsedMail) =>
    message.to !== undefined && JSON.stringify(message.to).includes(email);
  const noticesTo = (email: string, subject: RegExp) =>
    mailbox.messages.filter((m) => sentTo(email)(m) && subject.test(m.subject ?? ''));
  const noticeTo = (email: string, subject: RegExp) =>
    mailbox.waitFor((m) => sentTo(email)(m) && subject.test(m.subject ?? ''), 10_000);

  const verifiedUser = (prefix: string) => signUpVerified(app, uniqueEmail(prefix), mailbox);

  /** A passkey registered for a signed-in user, on an authenticator the test holds. */
  async function addPasskey(session: LoggedIn, authenticator = new SoftAuthenticator()) {
    const options = await post('/api/auth/passkeys/register/options', session).expect(200);
    const credential = authenticator.create(options.body, APP_URL);
    const created = await post('/api/auth/passkeys/register', session, { credential }).expect(201);
    return { authenticator, id: created.body.id as string };
  }

  describe('a stolen access token whose sign-in is old', () => {
    it('can add no passkey, turn on no TOTP, link no provider, remove nothing: 401 with max_age', async () => {
      const victim = await userSignedInLongAgo('victim');
      const stale = { accessToken: victim.accessToken };

      expectStepUp(await post('/api/auth/passkeys/register/options', stale));
      expectStepUp(await post('/api/auth/passkeys/register', stale, { credential: {} }));
      expectStepUp(await post('/api/auth/mfa/totp/setup', stale));
      expectStepUp(await post('/api/auth/mfa/totp/confirm', stale, { code: '123456' }));
      expectStepUp(await post('/api/auth/oauth/corp/link', stale));
      expectStepUp(await del('/api/auth/passkeys/00000000-0000-4000-8000-000000000000', stale));
      expectStepUp(await del('/api/auth/identities/00000000-0000-4000-8000-000000000000', stale));
      // Nothing was planted: no passkey, no pending or active TOTP secret.
      const planted = await app.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM passkeys WHERE user_id = $1)::int
              + (SELECT count(*) FROM mfa_totp WHERE user_id = $1)::int AS n`,
        [victim.userId],
      );
      expect(planted[0].n).toBe(0);
      // The token still works where no recent sign-in is asked.
      await me(app, stale.accessToken).expect(200);
    });

    it('can change neither the password nor the address without the current password', async () => {
      const victim = await verifiedUser('victim-pw');
      await post('/api/auth/password', victim, {
        currentPassword: 'a guess at the passphrase of someone',
        newPassword: NEW_PASSWORD,
      }).expect(403);
      await post('/api/users/me/email', victim, {
        newEmail: uniqueEmail('attacker'),
        currentPassword: 'a guess at the passphrase of someone',
      }).expect(403);
      await login(app, victim.email, PASSWORD);
    });

    it('after reauthenticating with the password, adds TOTP and the owner is told', async () => {
      const owner = await userSignedInLongAgo('step-up');
      expectStepUp(await post('/api/auth/mfa/totp/setup', owner));

      const stepped = await reauthenticate(owner, { password: PASSWORD }).expect(200);
      expect(stepped.headers['cache-control']).toBe('no-store');
      expect(Object.keys(stepped.body).sort()).toEqual(['accessToken', 'expiresIn', 'tokenType', 'user']);
      const before = decodeJwt(owner.accessToken).payload;
      const after = decodeJwt(stepped.body.accessToken as string).payload;
      expect(after.sid).toBe(before.sid);
      expect(after.auth_time as number).toBeGreaterThan(before.auth_time as number);
      expect(after.amr).toEqual(['pwd']);

      const fresh = { accessToken: stepped.body.accessToken as string };
      const enrolled = await enrolTotp(app, fresh);
      expect(enrolled.recoveryCodes).toHaveLength(10);
      const notice = await noticeTo(owner.email, /two-step sign-in was turned on/i);
      expect(notice.text).toMatch(/authenticator app/i);
      expect(notice.text).not.toMatch(/#(reset-password|confirm-email|verify-email)=/);
      expect(notice.text).not.toContain(enrolled.secret);
    });
  });

  describe('POST /api/auth/reauthenticate', () => {
    it('keeps the fresh auth_time on the session: the next refresh carries it', async () => {
      const user = await userSignedInLongAgo('reauth-refresh');
      const stepped = await reauthenticate(user, { password: PASSWORD }).expect(200);
      const refreshed = await refresh(app, user.cookie).expect(200);
      const claims = decodeJwt(refreshed.body.accessToken as string).payload;
      expect(claims.auth_time).toBe(decodeJwt(stepped.body.accessToken as string).payload.auth_time);
      await post('/api/auth/mfa/totp/setup', { accessToken: refreshed.body.accessToken as string }).expect(
        200,
      );
    });

    it('refuses a wrong password (401), no proof or two proofs (400), and never logs the password', async () => {
      const user = await verifiedUser('reauth-wrong');
      const wrong = await reauthenticate(user, { password: 'not the passphrase of this user' });
      expect(wrong.status).toBe(401);
      expectNestError(wrong.body, 401);
      expectNestError((await reauthenticate(user, {}).expect(400)).body, 400);
      expectNestError(
        (await reauthenticate(user, { password: PASSWORD, code: '123456' }).expect(400)).body,
        400,
      );
      expectNestError((await reauthenticate(user, { password: 42 }).expect(400)).body, 400);
      expect(app.logs.lines.some((line) => line.includes('not the passphrase of this user'))).toBe(false);
    });

    it('takes a code (amr gains otp and mfa) and a recovery code (mfa), each once', async () => {
      const user = await verifiedUser('reauth-code');
      const enrolled = await enrolTotp(app, user);
      const byCode = await reauthenticate(user, { code: await enrolled.authenticator.nextCode() }).expect(
        200,
      );
      expect(decodeJwt(byCode.body.accessToken as string).payload.amr).toEqual(['pwd', 'otp', 'mfa']);
      await reauthenticate(user, { code: wrongCode(enrolled.secret) }).expect(401);
      const [recoveryCode] = enrolled.recoveryCodes;
      await reauthenticate(user, { recoveryCode }).expect(200);
      await reauthenticate(user, { recoveryCode }).expect(401);
    });

    it('takes an assertion of the caller’s own passkey, for options that list only theirs', async () => {
      const user = await verifiedUser('reauth-passkey');
      const { authenticator } = await addPasskey(user);
      const other = await verifiedUser('reauth-other');
      const otherKey = await addPasskey(other);

      const options = await post('/api/auth/reauthenticate/passkey-options', user).expect(200);
      expect(options.headers['cache-control']).toBe('no-store');
      expect(options.body.allowCredentials).toHaveLength(1);
      expect(options.body.allowCredentials[0].id).toBe(authenticator.all[0].id);
      const credential = authenticator.get(options.body, APP_URL);
      const stepped = await reauthenticate(user, { credential }).expect(200);
      expect(decodeJwt(stepped.body.accessToken as string).payload.amr).toEqual([
        'pwd',
        'hwk',
        'user',
        'mfa',
      ]);
      // Used once; another user's passkey is refused even for the caller's challenge.
      await reauthenticate(user, { credential }).expect(401);
      const forOther = await post('/api/auth/reauthenticate/passkey-options', user).expect(200);
      const foreign = otherKey.authenticator.get({ ...forOther.body, allowCredentials: [] }, APP_URL);
      await reauthenticate(user, { credential: foreign }).expect(401);
      // An account without a passkey has no options to ask for.
      await post('/api/auth/reauthenticate/passkey-options', await verifiedUser('no-passkey')).expect(404);
    });

    it('answers 401 for a revoked session, even with the right password', async () => {
      const user = await verifiedUser('reauth-revoked');
      await app.http().post('/api/auth/logout').set('Cookie', user.cookie).expect(204);
      await reauthenticate(user, { password: PASSWORD }).expect(401);
    });
  });

  describe('a verified address first', () => {
    it('refuses TOTP and passkeys on an unverified address (403), so nobody plants a way in before its owner', async () => {
      const email = uniqueEmail('pre-hijack');
      await register(app, email);
      const squatter = await login(app, email);
      for (const response of [
        await post('/api/auth/mfa/totp/setup', squatter),
        await post('/api/auth/passkeys/register/options', squatter),
      ]) {
        expect(response.status).toBe(403);
        expect(response.body.message).toBe('email not verified');
      }
      // The owner resets the password from the mailbox: the account is theirs alone.
      await app.http().post('/api/auth/password/forgot').send({ email }).expect(202);
      const token = await mailedToken(app, email, 'reset-password', mailbox);
      await app
        .http()
        .post('/api/auth/password/reset')
        .send({ token, newPassword: NEW_PASSWORD })
        .expect(204);
      await refresh(app, squatter.cookie).expect(401);
      await me(app, squatter.accessToken).expect(401);
      const ways = await app.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM passkeys WHERE user_id = $1)::int
              + (SELECT count(*) FROM user_identities WHERE user_id = $1)::int
              + (SELECT count(*) FROM mfa_totp WHERE user_id = $1)::int AS n`,
        [squatter.userId],
      );
      expect(ways[0].n).toBe(0);
    });
  });

  describe('email links die with what they were made under', () => {
    /** A user who has asked to move to a new address, and the link that would confirm it. */
    async function pendingEmailChange(prefix: string) {
      const user = await verifiedUser(prefix);
      const newEmail = uniqueEmail(`${prefix}-new`);
      await post('/api/users/me/email', user, { newEmail, currentPassword: PASSWORD }).expect(202);
      const token = await mailedToken(app, newEmail, 'confirm-email', mailbox);
      return { user, newEmail, token };
    }
    const confirm = (token: string) => app.http().post('/api/auth/confirm-email').send({ token });

    it('an email-change link dies with a password reset', async () => {
      const { user, token } = await pendingEmailChange('change-then-reset');
      await app.http().post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
      const resetToken = await mailedToken(app, user.email, 'reset-password', mailbox);
      await app
        .http()
        .post('/api/auth/password/reset')
        .send({ token: resetToken, newPassword: NEW_PASSWORD })
        .expect(204);
      expectNestError((await confirm(token).expect(400)).body, 400);
      expect((await login(app, user.email, NEW_PASSWORD)).response.body.user.email).toBe(user.email);
    });

    it('an email-change link dies with a password change', async () => {
      const { user, token } = await pendingEmailChange('change-then-password');
      await post('/api/auth/password', user, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }).expect(
        204,
      );
      await confirm(token).expect(400);
    });

    it('an email-change link dies with logout-all, and with a logout of the session that asked', async () => {
      const everywhere = await pendingEmailChange('change-then-logout-all');
      await post('/api/auth/logout-all', everywhere.user).expect(204);
      await confirm(everywhere.token).expect(400);

      const one = await pendingEmailChange('change-then-logout');
      await app.http().post('/api/auth/logout').set('Cookie', one.user.cookie).expect(204);
      await confirm(one.token).expect(400);
    });

    it('an email-change link works while nothing changed, and both addresses are told', async () => {
      const { user, newEmail, token } = await pendingEmailChange('change-ok');
      const other = await login(app, user.email);
      await confirm(token).expect(204);
      await noticeTo(newEmail, /email address was changed/i);
      const left = await noticeTo(user.email, /no longer uses this email address/i);
      expect(left.text).not.toContain(newEmail);
      // The session that asked stays; the others end.
      await me(app, user.accessToken).expect(200);
      await refresh(app, other.cookie).expect(401);
    });

    it('a reset link sent to a former address no longer resets, and a reset is told to the current one', async () => {
      const user = await verifiedUser('reset-old-address');
      await app.http().post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
      const oldLink = await mailedToken(app, user.email, 'reset-password', mailbox);
      // Moving the account is itself a change: it ends the old link.
      const newEmail = uniqueEmail('reset-new-address');
      await post('/api/users/me/email', user, { newEmail, currentPassword: PASSWORD }).expect(202);
      await confirm(await mailedToken(app, newEmail, 'confirm-email', mailbox)).expect(204);
      expectNestError(
        (
          await app
            .http()
            .post('/api/auth/password/reset')
            .send({ token: oldLink, newPassword: NEW_PASSWORD })
            .expect(400)
        ).body,
        400,
      );
      await login(app, newEmail, PASSWORD);

      await app.http().post('/api/auth/password/forgot').send({ email: newEmail }).expect(202);
      const link = await mailedToken(app, newEmail, 'reset-password', mailbox);
      await app
        .http()
        .post('/api/auth/password/reset')
        .send({ token: link, newPassword: NEW_PASSWORD })
        .expect(204);
      await noticeTo(newEmail, /password was changed/i);
      expect(noticesTo(user.email, /password was changed/i)).toHaveLength(0);
    });

    it('a reset link dies with a change of a factor', async () => {
      const user = await verifiedUser('reset-then-totp');
      await app.http().post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
      const link = await mailedToken(app, user.email, 'reset-password', mailbox);
      await enrolTotp(app, user);
      await app
        .http()
        .post('/api/auth/password/reset')
        .send({ token: link, newPassword: NEW_PASSWORD })
        .expect(400);
    });

    it('a disabled account moves to no new address', async () => {
      const admin = await adminSession();
      const { user, token } = await pendingEmailChange('change-disabled');
      // Disabling ends the link too; this checks the answer a disabled account gets for it.
      await post(`/api/admin/users/${user.userId}/disable`, admin).expect(204);
      await confirm(token).expect(400);
      const [row] = await app.query<{ email: string }>('SELECT email FROM users WHERE id = $1', [
        user.userId,
      ]);
      expect(row.email).toBe(user.email);
    });
  });

  describe('a change ends what it voids', () => {
    it('turning TOTP off ends every other session, keeps the caller’s, and tells the owner', async () => {
      const user = await verifiedUser('totp-off');
      const enrolled = await enrolTotp(app, user);
      const laptop = await signInWithCode(user.email, enrolled);
      await del('/api/auth/mfa/totp', user, { recoveryCode: enrolled.recoveryCodes[0] }).expect(204);
      await refresh(app, laptop.cookie).expect(401);
      await me(app, laptop.accessToken).expect(401);
      await me(app, user.accessToken).expect(200);
      await refresh(app, user.cookie).expect(200);
      await noticeTo(user.email, /two-step sign-in was turned off/i);
    });

    it('removing a passkey (of a lost laptop) ends the sessions it started', async () => {
      const user = await verifiedUser('passkey-lost');
      const { authenticator, id } = await addPasskey(user);
      const options = await app.http().post('/api/auth/passkeys/login/options').expect(200);
      const credential = authenticator.get(options.body, APP_URL);
      const laptop = await app.http().post('/api/auth/passkeys/login').send({ credential }).expect(200);
      await del(`/api/auth/passkeys/${id}`, user).expect(204);
      await me(app, laptop.body.accessToken as string).expect(401);
      await me(app, user.accessToken).expect(200);
      await noticeTo(user.email, /passkey was removed/i);
      // The passkey signs nobody in any more.
      const again = await app.http().post('/api/auth/passkeys/login/options').expect(200);
      await app
        .http()
        .post('/api/auth/passkeys/login')
        .send({ credential: authenticator.get(again.body, APP_URL) })
        .expect(401);
    });

    it('adding a passkey is told, and ends nothing', async () => {
      const user = await verifiedUser('passkey-added');
      const other = await login(app, user.email);
      await addPasskey(user);
      const notice = await noticeTo(user.email, /passkey was added/i);
      expect(notice.text).toMatch(/From the address: /);
      await refresh(app, other.cookie).expect(200);
    });

    it('new recovery codes are told; the old ones stop working', async () => {
      const user = await verifiedUser('new-codes');
      const enrolled = await enrolTotp(app, user);
      const fresh = await post('/api/auth/mfa/recovery-codes', user, {
        recoveryCode: enrolled.recoveryCodes[0],
      }).expect(200);
      expect(fresh.body.recoveryCodes).toHaveLength(10);
      await noticeTo(user.email, /new recovery codes/i);
      await reauthenticate(user, { recoveryCode: enrolled.recoveryCodes[1] }).expect(401);
      await reauthenticate(user, { recoveryCode: fresh.body.recoveryCodes[0] }).expect(200);
    });

    it('logout-all ends every session, the caller’s too', async () => {
      const user = await verifiedUser('logout-all');
      const other = await login(app, user.email);
      await post('/api/auth/logout-all', user).expect(204);
      await me(app, user.accessToken).expect(401);
      await refresh(app, other.cookie).expect(401);
    });
  });

  /** A second sign-in of a TOTP user, through the challenge. */
  async function signInWithCode(email: string, enrolled: Awaited<ReturnType<typeof enrolTotp>>) {
    const challenge = await app
      .http()
      .post('/api/auth/login')
      .send({ email, password: PASSWORD })
      .expect(200);
    const verified = await app
      .http()
      .post('/api/auth/mfa/verify')
      .send({ mfaToken: challenge.body.mfaToken, code: await enrolled.authenticator.nextCode() })
      .expect(200);
    const cookie = (verified.headers['set-cookie'] as unknown as string[])
      .find((line) => line.startsWith('refresh_token='))!
      .split(';')[0];
    return { accessToken: verified.body.accessToken as string, cookie };
  }

  let admin: LoggedIn | undefined;
  /** An administrator: a verified user given the role as a fixture, then signed in. */
  async function adminSession(): Promise<LoggedIn> {
    if (admin && (decodeJwt(admin.accessToken).payload.exp as number) > Date.now() / 1000 + 60) return admin;
    const user = await verifiedUser('admin');
    await app.query(`UPDATE users SET roles = '{admin,user}' WHERE id = $1`, [user.userId]);
    admin = await login(app, user.email);
    return admin;
  }
});
