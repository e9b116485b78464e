import { ParsedMail } from 'mailparser';
import { randomUUID } from 'node:crypto';
import { Response } from 'supertest';
import {
  decodeJwt,
  LoggedIn,
  login,
  me,
  PASSWORD,
  refresh,
  refreshCookie,
  signedIn,
  signUp,
  uniqueEmail,
} from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { expectNestError, expectRefused, expectTokens } from './support/expectations';
import { TestMailbox } from './support/mailbox';
import { APP_URL, callbackUrl, HOME, oauthFlow, PUBLIC_URL } from './support/oauth-flow';
import { TestOidcProvider } from './support/oidc-provider';
import { TestApp } from './support/test-app';
import { signUpVerified, verifyAddress } from './support/verified-sign-up';
import {
  awayFromStepEdge,
  codeForStep,
  Enrolled,
  enrolTotp,
  secretBytes,
  stepAt,
  wrongCode,
} from './support/totp';

const CALLBACK_URL = callbackUrl('corp');
const CLIENT_ID = 'gatehouse-mfa-e2e';
const CLIENT_SECRET = 'the corp client secret of the second-factor suite';
const ADMIN_PASSWORD = 'the gatehouse administrator passphrase';
const NEW_PASSWORD = 'a fresh passphrase after forgetting';
const WRONG_RECOVERY_CODE = 'not-a-recovery-code';
const EVENTS = ['mfa.enabled', 'mfa.disabled', 'mfa.verified', 'mfa.failed', 'mfa.recovery_code_used'];

/** A user with the second factor on, and the session that turned it on. */
interface MfaUser extends Enrolled {
  email: string;
  session: LoggedIn;
}

describeEachDatabase('second factor: authenticator app and recovery codes', (kind) => {
  const adminEmail = `admin-${randomUUID()}@example.com`;
  let provider: TestOidcProvider;
  let mailbox: TestMailbox;
  let app: TestApp;
  // Every secret that went past (TOTP secrets, otpauth URLs, recovery codes, mfa tokens): the logs and the
  // database may show none of them. TOTP codes are worked out from the secrets at the end.
  const secrets = new Set<string>();
  const totpSecrets = new Set<string>();
  const firstStep = stepAt();

  beforeAll(async () => {
    provider = await TestOidcProvider.start({
      clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [CALLBACK_URL] }],
    });
    mailbox = await TestMailbox.start();
    app = await TestApp.start(kind, {
      env: {
        PUBLIC_URL,
        APP_URL,
        OAUTH_PROVIDERS: 'corp',
        OAUTH_CORP_ISSUER: provider.issuer,
        OAUTH_CORP_CLIENT_ID: CLIENT_ID,
        OAUTH_CORP_CLIENT_SECRET: CLIENT_SECRET,
        OAUTH_ALLOW_INSECURE_ISSUERS: 'true',
        SMTP_URL: mailbox.url,
        ADMIN_EMAIL: adminEmail,
        ADMIN_PASSWORD,
        ADMIN_REQUIRE_MFA: 'true',
        THROTTLE_RECOVERY_LIMIT: '1000',
        // Many wrong codes go by below; the per-user limit has its own part at the end.
        THROTTLE_MFA_LIMIT: '1000',
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.stop();
    await provider?.stop();
  });

  const bearer = (session: { accessToken: string }) => `Bearer ${session.accessToken}`;
  const attemptLogin = (email: string, password = PASSWORD) =>
    app.http().post('/api/auth/login').send({ email, password });
  const setup = (session: { accessToken: string }) =>
    app.http().post('/api/auth/mfa/totp/setup').set('Authorization', bearer(session));
  const confirm = (session: { accessToken: string }, body: unknown) =>
    app
      .http()
      .post('/api/auth/mfa/totp/confirm')
      .set('Authorization', bearer(session))
      .send(body as object);
  const disable = (session: { accessToken: string }, body: unknown) =>
    app
      .http()
      .delete('/api/auth/mfa/totp')
      .set('Authorization', bearer(session))
      .send(body as object);
  const newRecoveryCodes = (session: { accessToken: string }, body: unknown) =>
    app
      .http()
      .post('/api/auth/mfa/recovery-codes')
      .set('Authorization', bearer(session))
      .send(body as object);
  const verify = (body: unknown) =>
    app
      .http()
      .post('/api/auth/mfa/verify')
      .send(body as object);

  function remember(enrolled: Enrolled): void {
    totpSecrets.add(enrolled.secret);
    secrets.add(enrolled.secret);
    for (const code of enrolled.recoveryCodes) secrets.add(code);
  }

  /** A new user whose address is proven (from the mail), signed in: one who may turn the second factor on. */
  const verifiedUser = (prefix = 'user') => signUpVerified(app, uniqueEmail(prefix), mailbox);

  /** The notice with `subject` mailed to `email` (received or still to come). */
  const noticeTo = (email: string, subject: string) =>
    mailbox.waitFor(
      (m: ParsedMail) => JSON.stringify(m.to ?? '').includes(email) && m.subject === subject,
      10_000,
    );

  /** A new user who has turned the second factor on. */
  async function mfaUser(prefix = 'mfa'): Promise<MfaUser> {
    const session = await verifiedUser(prefix);
    const enrolled = await enrolTotp(app, session);
    remember(enrolled);
    return { ...enrolled, email: session.email, session };
  }

  /** A right password for a user with the second factor on: the mfa token of the challenge it answers. */
  async function challenge(email: string, password = PASSWORD): Promise<string> {
    const response = await attemptLogin(email, password);
    if (response.status !== 200 || typeof response.body.mfaToken !== 'string')
      throw new Error(`expected an mfa challenge: ${response.status} ${JSON.stringify(response.body)}`);
    secrets.add(response.body.mfaToken as string);
    return response.body.mfaToken as string;
  }

  /** The session a successful verify started, as `login` would describe it. */
  function sessionOf(response: Response, email: string): LoggedIn {
    expect(response.status).toBe(200);
    return signedIn(response, email);
  }

  describe('enrolment', () => {
    it('needs a bearer token for every management route', async () => {
      await app.http().post('/api/auth/mfa/totp/setup').expect(401);
      await app.http().post('/api/auth/mfa/totp/confirm').send({ code: '123456' }).expect(401);
      await app.http().delete('/api/auth/mfa/totp').send({ code: '123456' }).expect(401);
      await app.http().post('/api/auth/mfa/recovery-codes').send({ code: '123456' }).expect(401);
    });

    it('setup and confirm need a verified address: 403 "email not verified" until the mailed link is used', async () => {
      const session = await signUp(app, uniqueEmail('unverified'));
      for (const refused of [await setup(session), await confirm(session, { code: '123456' })]) {
        expect(refused.status).toBe(403);
        expectNestError(refused.body, 403);
        expect(refused.body.message).toBe('email not verified');
      }
      await verifyAddress(app, session.email, mailbox);
      const enrolled = await enrolTotp(app, session);
      remember(enrolled);
      expect(enrolled.recoveryCodes).toHaveLength(10);
    });

    it('setup answers a new base32 secret and an otpauth URL for SHA-1, 6 digits, 30 s', async () => {
      const session = await verifiedUser();
      const response = await setup(session).expect(200);
      expect(Object.keys(response.body).sort()).toEqual(['otpauthUrl', 'secret']);
      const { secret, otpauthUrl } = response.body as { secret: string; otpauthUrl: string };
      secrets.add(secret);
      secrets.add(otpauthUrl);
      // Base32 (RFC 4648) of at least 128 bits, as RFC 4226 requires of a shared secret.
      expect(secret).toMatch(/^[A-Z2-7]+=*$/);
      expect(secret.replace(/=+$/, '').length).toBeGreaterThanOrEqual(26);
      const url = new URL(otpauthUrl);
      expect(url.protocol).toBe('otpauth:');
      expect(url.host).toBe('totp');
      expect(url.pathname.length).toBeGreaterThan(1);
      expect(url.searchParams.get('secret')).toBe(secret);
      expect(url.searchParams.get('algorithm')).toBe('SHA1');
      expect(url.searchParams.get('digits')).toBe('6');
      expect(url.searchParams.get('period')).toBe('30');
      expect(response.headers['cache-control']).toMatch(/no-store/);
    });

    it('setup again while pending draws a fresh secret, and only the latest one confirms', async () => {
      const session = await verifiedUser();
      const first = (await setup(session).expect(200)).body.secret as string;
      const second = (await setup(session).expect(200)).body.secret as string;
      secrets.add(first);
      secrets.add(second);
      totpSecrets.add(first);
      totpSecrets.add(second);
      expect(second).not.toBe(first);
      await awayFromStepEdge();
      const staleCode = codeForStep(first, stepAt());
      if (staleCode !== codeForStep(second, stepAt())) {
        expectNestError((await confirm(session, { code: staleCode }).expect(400)).body, 400);
      }
      const confirmed = await confirm(session, { code: codeForStep(second, stepAt()) }).expect(200);
      for (const code of confirmed.body.recoveryCodes as string[]) secrets.add(code);
    });

    it('confirm with a wrong code is 400 and leaves the factor off: login still gives tokens', async () => {
      const session = await verifiedUser();
      const { secret } = (await setup(session).expect(200)).body as { secret: string };
      secrets.add(secret);
      totpSecrets.add(secret);
      expectNestError((await confirm(session, { code: wrongCode(secret) }).expect(400)).body, 400);
      const again = await attemptLogin(session.email);
      expectTokens(again);
      expect(again.body.mfaRequired).toBeUndefined();
      // Still not on: setup is not refused with 409.
      secrets.add((await setup(session).expect(200)).body.secret as string);
    });

    it('confirm answers 400 to bad bodies, never 500', async () => {
      const session = await verifiedUser();
      const { secret } = (await setup(session).expect(200)).body as { secret: string };
      secrets.add(secret);
      for (const body of [
        {},
        { code: null },
        { code: 123456 },
        { code: ['123456'] },
        { code: '1', extra: 1 },
      ]) {
        expectNestError((await confirm(session, body).expect(400)).body, 400);
      }
    });

    it('confirm with the right code turns it on: 10 distinct recovery codes, every other session revoked, this one kept', async () => {
      const session = await verifiedUser();
      const other = await login(app, session.email);
      const { secret } = (await setup(session).expect(200)).body as { secret: string };
      totpSecrets.add(secret);
      secrets.add(secret);
      await awayFromStepEdge();
      const response = await confirm(session, { code: codeForStep(secret, stepAt()) });
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(['recoveryCodes']);
      const codes = response.body.recoveryCodes as unknown[];
      expect(codes).toHaveLength(10);
      for (const code of codes) {
        expect(typeof code).toBe('string');
        expect((code as string).length).toBeGreaterThanOrEqual(8);
        secrets.add(code as string);
      }
      expect(new Set(codes).size).toBe(10);
      expect(response.headers['cache-control']).toMatch(/no-store/);

      await me(app, other.accessToken).expect(401);
      await refresh(app, other.cookie).expect(401);
      await me(app, session.accessToken).expect(200);
      await refresh(app, session.cookie).expect(200);
      expectNestError((await setup(session).expect(409)).body, 409);

      // The owner is told, without the secret or a recovery code.
      const notice = await noticeTo(session.email, 'Two-step sign-in was turned on');
      expect([secret, ...(codes as string[])].filter((s) => notice.text?.includes(s))).toEqual([]);
    });
  });

  describe('signing in with the second factor on', () => {
    it('login with the right password answers a challenge: no access token, no cookie', async () => {
      const user = await mfaUser();
      const response = await attemptLogin(user.email);
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(['expiresIn', 'methods', 'mfaRequired', 'mfaToken']);
      expect(response.body.mfaRequired).toBe(true);
      expect(response.body.methods).toEqual(['totp', 'recovery_code']);
      expect(response.body.expiresIn).toBe(300);
      expect(typeof response.body.mfaToken).toBe('string');
      expect((response.body.mfaToken as string).length).toBeGreaterThanOrEqual(32);
      secrets.add(response.body.mfaToken as string);
      expect(refreshCookie(response)).toBeUndefined();
      expect(response.headers['cache-control']).toMatch(/no-store/);
      // A wrong password is refused as before, with no challenge.
      const wrong = await attemptLogin(user.email, 'not the passphrase of this user');
      expectRefused(wrong);
      expect(wrong.body.mfaToken).toBeUndefined();
    });

    it('verify with a code answers exactly as login; amr pwd+otp+mfa and auth_time, both kept by a refresh', async () => {
      const user = await mfaUser();
      const mfaToken = await challenge(user.email);
      const before = Math.floor(Date.now() / 1000);
      const response = await verify({ mfaToken, code: await user.authenticator.nextCode() });
      expectTokens(response);
      const after = Math.ceil(Date.now() / 1000);
      const self = await me(app, response.body.accessToken as string).expect(200);
      expect(response.body.user).toEqual(self.body);
      expect(response.body.user.email).toBe(user.email);

      const { payload } = decodeJwt(response.body.accessToken as string);
      expect(payload.sub).toBe(user.session.userId);
      expect(payload.amr).toEqual(['pwd', 'otp', 'mfa']);
      expect(Number.isInteger(payload.auth_time)).toBe(true);
      expect(payload.auth_time as number).toBeGreaterThanOrEqual(before - 1);
      expect(payload.auth_time as number).toBeLessThanOrEqual(after + 1);

      const refreshed = await refresh(app, refreshCookie(response)!).expect(200);
      const renewed = decodeJwt(refreshed.body.accessToken as string).payload;
      expect(renewed.amr).toEqual(['pwd', 'otp', 'mfa']);
      expect(renewed.auth_time).toBe(payload.auth_time);
      expect(renewed.sid).toBe(payload.sid);
    });

    it('verify with a recovery code: amr pwd+mfa; the same recovery code on a new challenge is 401', async () => {
      const user = await mfaUser();
      const [recoveryCode] = user.recoveryCodes;
      const response = await verify({ mfaToken: await challenge(user.email), recoveryCode });
      expectTokens(response);
      const { payload } = decodeJwt(response.body.accessToken as string);
      expect(payload.amr).toEqual(['pwd', 'mfa']);
      expect(Number.isInteger(payload.auth_time)).toBe(true);
      const renewed = await refresh(app, refreshCookie(response)!).expect(200);
      expect(decodeJwt(renewed.body.accessToken as string).payload.amr).toEqual(['pwd', 'mfa']);

      expectRefused(await verify({ mfaToken: await challenge(user.email), recoveryCode }));
    });

    it('each of the 10 recovery codes works once', async () => {
      const user = await mfaUser();
      for (const recoveryCode of user.recoveryCodes) {
        expectTokens(await verify({ mfaToken: await challenge(user.email), recoveryCode }));
      }
      // Four used codes per challenge: fewer than the five wrong codes that end one.
      for (let i = 0; i < user.recoveryCodes.length; i += 4) {
        const mfaToken = await challenge(user.email);
        for (const recoveryCode of user.recoveryCodes.slice(i, i + 4)) {
          expectRefused(await verify({ mfaToken, recoveryCode }));
        }
      }
    });
  });

  describe('the mfa token', () => {
    it('is single-use: a second verify after a success is 401', async () => {
      const user = await mfaUser();
      const mfaToken = await challenge(user.email);
      expectTokens(await verify({ mfaToken, code: await user.authenticator.nextCode() }));
      const [recoveryCode] = user.recoveryCodes;
      expectRefused(await verify({ mfaToken, recoveryCode }));
      // It was the token that was refused: that recovery code is still good.
      expectTokens(await verify({ mfaToken: await challenge(user.email), recoveryCode }));
    });

    it('dies after 5 wrong codes: the 6th attempt is 401 even with the right code', async () => {
      const user = await mfaUser();
      const mfaToken = await challenge(user.email);
      for (let i = 0; i < 3; i++) expectRefused(await verify({ mfaToken, code: wrongCode(user.secret) }));
      for (let i = 0; i < 2; i++)
        expectRefused(await verify({ mfaToken, recoveryCode: WRONG_RECOVERY_CODE }));
      expectRefused(await verify({ mfaToken, code: await user.authenticator.nextCode() }));
      expectRefused(await verify({ mfaToken, recoveryCode: user.recoveryCodes[0] }));
      // The user is not locked out: a new challenge goes through.
      expectTokens(
        await verify({ mfaToken: await challenge(user.email), recoveryCode: user.recoveryCodes[1] }),
      );
    });

    it('is accepted nowhere else: not as a bearer token, not as a refresh cookie', async () => {
      const user = await mfaUser();
      const mfaToken = await challenge(user.email);
      expectNestError((await me(app, mfaToken).expect(401)).body, 401);
      expectNestError((await refresh(app, `refresh_token=${mfaToken}`).expect(401)).body, 401);
      expectTokens(await verify({ mfaToken, code: await user.authenticator.nextCode() }));
    });

    it('a garbage or tampered token is 401', async () => {
      const user = await mfaUser();
      const mfaToken = await challenge(user.email);
      const first = mfaToken[0] === 'A' ? 'B' : 'A';
      for (const candidate of ['garbage', 'A'.repeat(43), `${first}${mfaToken.slice(1)}`, `${mfaToken}x`]) {
        expectRefused(await verify({ mfaToken: candidate, recoveryCode: user.recoveryCodes[0] }));
      }
      expectTokens(await verify({ mfaToken, recoveryCode: user.recoveryCodes[0] }));
    });

    it('an access or refresh token in its place is refused, never 200 or 500', async () => {
      const user = await mfaUser();
      const plain = await signUp(app);
      for (const candidate of [plain.accessToken, plain.cookie.slice(plain.cookie.indexOf('=') + 1)]) {
        const response = await verify({ mfaToken: candidate, recoveryCode: user.recoveryCodes[0] });
        // 400 when longer than an mfa token can be (the body's own bound), 401 otherwise.
        expect([400, 401]).toContain(response.status);
        expectNestError(response.body, response.status);
        expect(refreshCookie(response)).toBeUndefined();
      }
    });

    it('answers 400 to bad bodies, never 500', async () => {
      const user = await mfaUser();
      const mfaToken = await challenge(user.email);
      const code = wrongCode(user.secret);
      for (const body of [
        { code },
        { mfaToken },
        { mfaToken: 12345, code },
        { mfaToken: null, code },
        { mfaToken, code: 123456 },
        { mfaToken, code: null },
        { mfaToken, recoveryCode: 42 },
        { mfaToken, code: [code] },
        { mfaToken, code, extra: 'x' },
        {},
      ]) {
        const response = await verify(body);
        expect({ body, status: response.status }).toEqual({ body, status: 400 });
        expectNestError(response.body, 400);
      }
    });

    it('expires after 5 minutes', async () => {
      const user = await mfaUser();
      const mfaToken = await challenge(user.email);
      await app.query(
        `UPDATE mfa_challenges SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
        [user.session.userId],
      );
      const [{ live }] = await app.query<{ live: number }>(
        'SELECT count(*)::int AS live FROM mfa_challenges WHERE user_id = $1 AND expires_at > now()',
        [user.session.userId],
      );
      expect(live).toBe(0);
      expectRefused(await verify({ mfaToken, code: await user.authenticator.nextCode() }));
      // It was the clock: a challenge of now goes through.
      expectTokens(
        await verify({ mfaToken: await challenge(user.email), recoveryCode: user.recoveryCodes[0] }),
      );
    });

    it('lives 5 minutes as stored', async () => {
      const user = await mfaUser();
      const before = Date.now();
      await challenge(user.email);
      const [row] = await app.query<{ expires_at: Date }>(
        'SELECT expires_at FROM mfa_challenges WHERE user_id = $1',
        [user.session.userId],
      );
      const lifetime = new Date(row.expires_at).getTime() - before;
      expect(lifetime).toBeGreaterThan(295_000);
      expect(lifetime).toBeLessThanOrEqual(305_000);
    });
  });

  describe('TOTP codes', () => {
    it('are never accepted twice: a new challenge with the code just used is 401', async () => {
      const user = await mfaUser();
      const code = await user.authenticator.nextCode();
      expectTokens(await verify({ mfaToken: await challenge(user.email), code }));
      expectRefused(await verify({ mfaToken: await challenge(user.email), code }));
    });

    it('are accepted one step either side, once each, and not two steps away', async () => {
      const session = await verifiedUser();
      // The whole exchange has to fit in one step of the clock, or "the previous step" would move.
      await awayFromStepEdge(6000);
      const { secret } = (await setup(session).expect(200)).body as { secret: string };
      totpSecrets.add(secret);
      secrets.add(secret);
      const now = stepAt();
      const at = (offset: number) => codeForStep(secret, now + offset);

      // Turning it on: two steps back is refused, one step back is accepted.
      expectNestError((await confirm(session, { code: at(-2) }).expect(400)).body, 400);
      const confirmed = await confirm(session, { code: at(-1) }).expect(200);
      for (const code of confirmed.body.recoveryCodes as string[]) secrets.add(code);

      // Signing in: two steps ahead and the confirmation's code are refused, one step ahead is accepted once.
      const first = await challenge(session.email);
      expectRefused(await verify({ mfaToken: first, code: at(2) }));
      expectRefused(await verify({ mfaToken: first, code: at(-1) }));
      expectRefused(await verify({ mfaToken: first, code: at(-2) }));
      expectTokens(await verify({ mfaToken: first, code: at(1) }));
      expectRefused(await verify({ mfaToken: await challenge(session.email), code: at(1) }));
      expect(stepAt()).toBe(now);
    });

    it('accept the previous step at sign-in, once, after the current step turned the factor on', async () => {
      await awayFromStepEdge(5000);
      // Confirmed with the current step's code.
      const user = await mfaUser();
      const previous = codeForStep(user.secret, stepAt() - 1);
      expectTokens(await verify({ mfaToken: await challenge(user.email), code: previous }));
      expectRefused(await verify({ mfaToken: await challenge(user.email), code: previous }));
    });
  });

  describe('concurrent submissions', () => {
    const statuses = (answers: Response[]) => answers.map((answer) => answer.status).sort();

    /** The wrong codes of `userId` that the app checked (and logged as mfa.failed). */
    const wrongCodesChecked = (userId: string) =>
      app.logs.lines.filter((line) => {
        try {
          const entry = JSON.parse(line) as { securityEvent?: string; userId?: string };
          return entry.securityEvent === 'mfa.failed' && entry.userId === userId;
        } catch {
          return false;
        }
      }).length;

    it('eight wrong codes on one token at once: five are checked, all eight are 401, and the token is dead', async () => {
      const user = await mfaUser();
      const mfaToken = await challenge(user.email);
      const code = wrongCode(user.secret);
      const answers = await Promise.all(Array.from({ length: 8 }, () => verify({ mfaToken, code })));
      expect(statuses(answers)).toEqual(Array(8).fill(401));
      expect(wrongCodesChecked(user.session.userId)).toBe(5);
      expectRefused(await verify({ mfaToken, recoveryCode: user.recoveryCodes[0] }));
      expect(wrongCodesChecked(user.session.userId)).toBe(5);
      // A new challenge goes through with the recovery code the dead token never checked.
      expectTokens(
        await verify({ mfaToken: await challenge(user.email), recoveryCode: user.recoveryCodes[0] }),
      );
    });

    it('one token and one code sent twice at once: exactly one 200', async () => {
      const user = await mfaUser();
      const mfaToken = await challenge(user.email);
      const code = await user.authenticator.nextCode();
      const answers = await Promise.all([verify({ mfaToken, code }), verify({ mfaToken, code })]);
      expect(statuses(answers)).toEqual([200, 401]);
      expect(answers.filter((answer) => refreshCookie(answer) !== undefined)).toHaveLength(1);
    });

    it('two challenges with the same code at once: exactly one 200', async () => {
      const user = await mfaUser();
      const tokens = [await challenge(user.email), await challenge(user.email)];
      const code = await user.authenticator.nextCode();
      const answers = await Promise.all(tokens.map((mfaToken) => verify({ mfaToken, code })));
      expect(statuses(answers)).toEqual([200, 401]);
    });

    it('two challenges with the same recovery code at once: exactly one 200', async () => {
      const user = await mfaUser();
      const tokens = [await challenge(user.email), await challenge(user.email)];
      const [recoveryCode] = user.recoveryCodes;
      const answers = await Promise.all(tokens.map((mfaToken) => verify({ mfaToken, recoveryCode })));
      expect(statuses(answers)).toEqual([200, 401]);
    });
  });

  describe('turning it off, and new recovery codes', () => {
    it('disable with a wrong code is 400 and it stays on; with the right code 204, other sessions end, and login gives tokens', async () => {
      const user = await mfaUser();
      const other = sessionOf(
        await verify({ mfaToken: await challenge(user.email), recoveryCode: user.recoveryCodes[1] }),
        user.email,
      );
      expectNestError((await disable(user.session, { code: wrongCode(user.secret) }).expect(400)).body, 400);
      expectNestError(
        (await disable(user.session, { recoveryCode: WRONG_RECOVERY_CODE }).expect(400)).body,
        400,
      );
      for (const body of [{}, { code: 123456 }, { code: null }, { code: '123456', extra: 1 }]) {
        expectNestError((await disable(user.session, body).expect(400)).body, 400);
      }
      await challenge(user.email);

      await me(app, other.accessToken).expect(200);

      await disable(user.session, { code: await user.authenticator.nextCode() }).expect(204);
      // Every other session of the user ends, access tokens included; the caller's own stays.
      await me(app, other.accessToken).expect(401);
      await refresh(app, other.cookie).expect(401);
      await me(app, user.session.accessToken).expect(200);
      await refresh(app, user.session.cookie).expect(200);
      await noticeTo(user.email, 'Two-step sign-in was turned off');
      const direct = await attemptLogin(user.email);
      expectTokens(direct);
      expect(decodeJwt(direct.body.accessToken as string).payload.amr).toEqual(['pwd']);

      // The recovery codes went with it: turned on again, the old ones do not work.
      const session = sessionOf(direct, user.email);
      const again = await enrolTotp(app, session);
      remember(again);
      expectRefused(
        await verify({ mfaToken: await challenge(user.email), recoveryCode: user.recoveryCodes[0] }),
      );
      expectTokens(
        await verify({ mfaToken: await challenge(user.email), recoveryCode: again.recoveryCodes[0] }),
      );
    });

    it('disable with a recovery code: 204, and login gives tokens', async () => {
      const user = await mfaUser();
      await disable(user.session, { recoveryCode: user.recoveryCodes[0] }).expect(204);
      expectTokens(await attemptLogin(user.email));
    });

    it('new recovery codes: 10 fresh ones, the old ones dead, the new ones working; a wrong code is 400', async () => {
      const user = await mfaUser();
      expectNestError(
        (await newRecoveryCodes(user.session, { code: wrongCode(user.secret) }).expect(400)).body,
        400,
      );
      expectNestError((await newRecoveryCodes(user.session, {}).expect(400)).body, 400);
      // The refusals changed nothing.
      expectTokens(
        await verify({ mfaToken: await challenge(user.email), recoveryCode: user.recoveryCodes[1] }),
      );

      const response = await newRecoveryCodes(user.session, { code: await user.authenticator.nextCode() });
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(['recoveryCodes']);
      expect(response.headers['cache-control']).toMatch(/no-store/);
      const fresh = response.body.recoveryCodes as string[];
      for (const code of fresh) secrets.add(code);
      expect(fresh).toHaveLength(10);
      expect(new Set(fresh).size).toBe(10);
      expect(fresh.filter((code) => user.recoveryCodes.includes(code))).toEqual([]);
      const notice = await noticeTo(user.email, 'New recovery codes were made');
      expect(fresh.filter((code) => notice.text?.includes(code))).toEqual([]);

      expectRefused(
        await verify({ mfaToken: await challenge(user.email), recoveryCode: user.recoveryCodes[0] }),
      );
      expectTokens(await verify({ mfaToken: await challenge(user.email), recoveryCode: fresh[0] }));
    });
  });

  describe('password reset of a user with the second factor on', () => {
    const reset = (body: Record<string, unknown>) => app.http().post('/api/auth/password/reset').send(body);

    async function resetToken(email: string): Promise<string> {
      await app.http().post('/api/auth/password/forgot').send({ email }).expect(202);
      const message = await mailbox.waitFor(
        (m: ParsedMail) => JSON.stringify(m.to ?? '').includes(email) && /reset/i.test(m.subject ?? ''),
        10_000,
      );
      const match = /#reset-password=([A-Za-z0-9_-]{43,})$/m.exec(message.text ?? '');
      if (!match) throw new Error(`no reset link in:\n${message.text}`);
      secrets.add(match[1]);
      return match[1];
    }

    it('needs a code: none or a wrong one is 401 and the link stays usable; the right code resets (204)', async () => {
      const user = await mfaUser('reset');
      const token = await resetToken(user.email);
      expectNestError((await reset({ token, newPassword: NEW_PASSWORD }).expect(401)).body, 401);
      expectNestError(
        (await reset({ token, newPassword: NEW_PASSWORD, code: wrongCode(user.secret) }).expect(401)).body,
        401,
      );
      expectNestError(
        (await reset({ token, newPassword: NEW_PASSWORD, recoveryCode: WRONG_RECOVERY_CODE }).expect(401))
          .body,
        401,
      );
      await attemptLogin(user.email).expect(200);

      await reset({ token, newPassword: NEW_PASSWORD, code: await user.authenticator.nextCode() }).expect(
        204,
      );
      await me(app, user.session.accessToken).expect(401);
      await attemptLogin(user.email).expect(401);
      await attemptLogin(user.email, NEW_PASSWORD).expect(200);
    });

    it('a recovery code lets the reset through too (204), once', async () => {
      const user = await mfaUser('reset-recovery');
      const [recoveryCode] = user.recoveryCodes;
      const token = await resetToken(user.email);
      await reset({ token, newPassword: NEW_PASSWORD, recoveryCode }).expect(204);
      await attemptLogin(user.email, NEW_PASSWORD).expect(200);
      expectRefused(await verify({ mfaToken: await challenge(user.email, NEW_PASSWORD), recoveryCode }));
    });
  });

  describe('step-up: ADMIN_REQUIRE_MFA=true', () => {
    const listUsers = (session: { accessToken: string }) =>
      app.http().get('/api/admin/users').set('Authorization', bearer(session));

    it('an admin signed in with a password only gets 401 insufficient_user_authentication; with a code, 200', async () => {
      const admin = await login(app, adminEmail, ADMIN_PASSWORD);
      const refused = await listUsers(admin);
      expect(refused.status).toBe(401);
      expectNestError(refused.body, 401);
      const challengeHeader = refused.headers['www-authenticate'] as string | undefined;
      expect(challengeHeader).toMatch(/^Bearer\b/);
      expect(challengeHeader).toContain('error="insufficient_user_authentication"');
      // Only the admin routes ask for more.
      await me(app, admin.accessToken).expect(200);

      const enrolled = await enrolTotp(app, admin);
      remember(enrolled);
      const mfaToken = await challenge(adminEmail, ADMIN_PASSWORD);
      const answer = await verify({ mfaToken, code: await enrolled.authenticator.nextCode() });
      expectTokens(answer);
      const listed = await listUsers({ accessToken: answer.body.accessToken as string }).expect(200);
      expect(Array.isArray(listed.body.items)).toBe(true);
      // A refreshed token of that session keeps what it proved.
      const refreshed = await refresh(app, refreshCookie(answer)!).expect(200);
      await listUsers({ accessToken: refreshed.body.accessToken as string }).expect(200);
    });
  });

  describe('sign-in through an OpenID provider', () => {
    const flow = oauthFlow({ app: () => app, provider: 'corp', secrets });

    /** Start, sign in at the provider as `sub`, and come back: the callback's answer. */
    async function signInAtProvider(sub: string): Promise<Response> {
      const started = flow.startedFrom(await flow.start());
      return flow.callback(await provider.signIn(started.authorizationUrl.toString(), sub), started.cookie);
    }

    it('a provider user with the factor on is sent to #mfa=<token> with no cookie; verify gives amr fed+otp+mfa', async () => {
      const sub = `mfa-${randomUUID()}`;
      const email = uniqueEmail('corp');
      provider.account({ sub, email, emailVerified: true, name: 'Second Factor at Corp' });
      const first = await signInAtProvider(sub);
      expect({ status: first.status, location: first.headers.location }).toEqual({
        status: 303,
        location: HOME,
      });
      const enrolled = await enrolTotp(app, await flow.sessionOf(first));
      remember(enrolled);

      const again = await signInAtProvider(sub);
      expect(again.status).toBe(303);
      const match = new RegExp(`^${APP_URL.replace(/\./g, '\\.')}/#mfa=([^&#\\s]+)$`).exec(
        again.headers.location,
      );
      expect(match).not.toBeNull();
      const mfaToken = decodeURIComponent(match![1]);
      secrets.add(mfaToken);
      expect(refreshCookie(again)).toBeUndefined();
      expect(again.headers['cache-control']).toMatch(/no-store/);

      const answer = await verify({ mfaToken, code: await enrolled.authenticator.nextCode() });
      expectTokens(answer);
      expect(answer.body.user.email).toBe(email);
      expect(decodeJwt(answer.body.accessToken as string).payload.amr).toEqual(['fed', 'otp', 'mfa']);
    });
  });

  describe('browsers', () => {
    it('mfa/verify refuses a foreign Origin and Sec-Fetch-Site: cross-site (403); the challenge still works', async () => {
      const user = await mfaUser();
      const mfaToken = await challenge(user.email);
      const [recoveryCode] = user.recoveryCodes;
      const fromEvil = await verify({ mfaToken, recoveryCode }).set('Origin', 'https://evil.example');
      expectRefused(fromEvil, 403);
      const crossSite = await verify({ mfaToken, recoveryCode }).set('Sec-Fetch-Site', 'cross-site');
      expectRefused(crossSite, 403);
      expectTokens(await verify({ mfaToken, recoveryCode }).set('Sec-Fetch-Site', 'same-origin'));
    });
  });

  describe('at rest', () => {
    it('no table holds a TOTP secret, a recovery code or an mfa token in the clear', async () => {
      const user = await mfaUser('at-rest');
      const mfaToken = await challenge(user.email);
      const tables = await app.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
      );
      expect(tables.map((t) => t.table_name)).toContain('mfa_challenges');
      let dump = '';
      for (const { table_name } of tables) {
        const rows = await app.query(`SELECT * FROM "${table_name}"`);
        dump += JSON.stringify(rows, (_key, value: unknown) =>
          value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer'
            ? Buffer.from((value as { data: number[] }).data).toString('hex')
            : value,
        );
      }
      const rawSecret = Buffer.from(secretBytes(user.secret));
      const leaked = [
        user.secret,
        rawSecret.toString('hex'),
        rawSecret.toString('base64'),
        ...user.recoveryCodes,
        mfaToken,
      ].filter((secret) => dump.includes(secret));
      expect(leaked).toEqual([]);
    });
  });

  describe('the per-user limit on wrong codes (THROTTLE_MFA_LIMIT=3)', () => {
    beforeAll(async () => {
      await app.restart({ THROTTLE_MFA_LIMIT: '3', THROTTLE_MFA_TTL: '900' });
    });

    it('after 3 wrong codes across challenges the next verify is 429 with Retry-After, the right code included', async () => {
      const user = await mfaUser('throttled');
      const bystander = await mfaUser('bystander');
      const first = await challenge(user.email);
      expectRefused(await verify({ mfaToken: first, code: wrongCode(user.secret) }));
      expectRefused(await verify({ mfaToken: first, recoveryCode: WRONG_RECOVERY_CODE }));
      const second = await challenge(user.email);
      expectRefused(await verify({ mfaToken: second, code: wrongCode(user.secret) }));

      const throttled = await verify({
        mfaToken: await challenge(user.email),
        code: await user.authenticator.nextCode(),
      });
      expect(throttled.status).toBe(429);
      expect(throttled.headers['retry-after']).toMatch(/^\d+$/);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(900);
      expectNestError(throttled.body, 429);
      expect(refreshCookie(throttled)).toBeUndefined();
      const byRecovery = await verify({ mfaToken: second, recoveryCode: user.recoveryCodes[0] });
      expect(byRecovery.status).toBe(429);

      // Counted per user: another user signing in from the same address is not held back.
      expectTokens(
        await verify({
          mfaToken: await challenge(bystander.email),
          code: await bystander.authenticator.nextCode(),
        }),
      );
    });

    it('reserves the attempt before checking: six wrong codes at once, three checked (401), three 429', async () => {
      const user = await mfaUser('throttled-at-once');
      const tokens = [await challenge(user.email), await challenge(user.email)];
      const code = wrongCode(user.secret);
      const answers = await Promise.all(
        [...tokens, ...tokens, ...tokens].map((mfaToken) => verify({ mfaToken, code })),
      );
      expect(answers.map((answer) => answer.status).sort()).toEqual([401, 401, 401, 429, 429, 429]);
      expect(
        (await verify({ mfaToken: await challenge(user.email), recoveryCode: user.recoveryCodes[0] })).status,
      ).toBe(429);
    });

    it('gives the attempt back when the code was right: two wrong, a right one, then one more wrong before 429', async () => {
      const user = await mfaUser('throttled-right');
      const mfaToken = await challenge(user.email);
      expectRefused(await verify({ mfaToken, code: wrongCode(user.secret) }));
      expectRefused(await verify({ mfaToken, recoveryCode: WRONG_RECOVERY_CODE }));
      expectTokens(await verify({ mfaToken, recoveryCode: user.recoveryCodes[0] }));
      const next = await challenge(user.email);
      expectRefused(await verify({ mfaToken: next, code: wrongCode(user.secret) }));
      expect((await verify({ mfaToken: next, recoveryCode: user.recoveryCodes[1] })).status).toBe(429);
    });
  });

  describe('logs', () => {
    interface Entry {
      securityEvent?: string;
      [key: string]: unknown;
    }

    it('record mfa.enabled, mfa.disabled, mfa.verified, mfa.failed and mfa.recovery_code_used', () => {
      const names = new Set(
        app.logs.lines.flatMap((line) => {
          try {
            return [(JSON.parse(line) as Entry).securityEvent];
          } catch {
            return [];
          }
        }),
      );
      for (const event of EVENTS) expect(names).toContain(event);
    });

    it("record turning the factor on and off with the user, the caller's session and the address", () => {
      const changes = app.logs.lines.flatMap((line) => {
        try {
          const entry = JSON.parse(line) as Entry;
          return ['mfa.enabled', 'mfa.disabled'].includes(entry.securityEvent ?? '') ? [entry] : [];
        } catch {
          return [];
        }
      });
      expect(changes.length).toBeGreaterThan(0);
      for (const entry of changes) {
        expect(entry).toEqual(
          expect.objectContaining({
            userId: expect.stringMatching(/^[0-9a-f-]{36}$/),
            sessionId: expect.any(String),
            ip: expect.any(String),
          }),
        );
      }
    });

    it('never contain a TOTP secret, a code, a recovery code or an mfa token', () => {
      const text = app.logs.lines.join('\n');
      const leaked = [...secrets].filter((secret) => secret.length >= 8 && text.includes(secret));
      expect(leaked).toEqual([]);
      // Six digits standing alone (not part of a longer number, id or timestamp) that some secret's code was.
      const sixDigits = new Set(text.match(/(?<![\w.-])\d{6}(?![\w.-])/g) ?? []);
      const codes = new Set<string>();
      for (const secret of totpSecrets) {
        for (let step = firstStep - 2; step <= stepAt() + 2; step++) codes.add(codeForStep(secret, step));
      }
      expect([...sixDigits].filter((digits) => codes.has(digits))).toEqual([]);
      expect(totpSecrets.size).toBeGreaterThan(0);
    });
  });
});
