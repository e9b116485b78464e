import { randomUUID } from 'node:crypto';
import { Response } from 'supertest';
import { SessionCleaner } from '../libs/auth/src/tokens/session-cleaner';
import {
  LoggedIn,
  login,
  PASSWORD,
  refreshCookie,
  refreshCookieLine,
  register,
  uniqueEmail,
} from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { APP_URL, callbackUrl, oauthFlow, PUBLIC_URL, setCookies } from './support/oauth-flow';
import { TestOidcProvider } from './support/oidc-provider';
import { outboxMessages, sentTo } from './support/outbox';
import { SoftAuthenticator } from './support/soft-authenticator';
import { TestApp } from './support/test-app';
import { enrolTotp } from './support/totp';
import { signUpVerified } from './support/verified-sign-up';

const DEVICE_COOKIE = 'gh_device';
const SUBJECT = 'New sign-in to your account';
const CLIENT_ID = 'gatehouse-new-device-e2e';
const CLIENT_SECRET = 'the corp client secret of the new-device suite';
const FOUR_HUNDRED_DAYS = 400 * 24 * 60 * 60;

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Safari/604.1';
const CURL = 'curl/8.5.0';

/** Where a request comes from: its user agent, its address (TRUST_PROXY is on) and the device cookie it carries. */
interface From {
  ua: string;
  ip: string;
  device?: string;
}

/** The Set-Cookie line of the device cookie, or undefined. */
function deviceCookieLine(response: Response): string | undefined {
  return setCookies(response).find((line) => line.startsWith(`${DEVICE_COOKIE}=`));
}

/** The value of the device cookie a response sets, or undefined. */
function deviceCookieOf(response: Response): string | undefined {
  const line = deviceCookieLine(response);
  return line?.slice(DEVICE_COOKIE.length + 1, line.indexOf(';'));
}

/** The attributes of a Set-Cookie line, lower-cased names, without its value. */
function attributesOf(line: string): Map<string, string> {
  const [, ...attributes] = line.split(';').map((part) => part.trim());
  return new Map(
    attributes.map((attribute) => {
      const at = attribute.indexOf('=');
      return at < 0
        ? [attribute.toLowerCase(), '']
        : [attribute.slice(0, at).toLowerCase(), attribute.slice(at + 1)];
    }),
  );
}

describeEachDatabase('a notice on sign-in from a new browser or device', (kind) => {
  let app: TestApp;
  let provider: TestOidcProvider;
  // Every device cookie, token and cookie that went past: no notice, log line or history entry may hold one.
  const secrets = new Set<string>([CLIENT_SECRET]);
  const flow = oauthFlow({ app: () => app, provider: 'corp', secrets });

  beforeAll(async () => {
    provider = await TestOidcProvider.start({
      clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [callbackUrl('corp')] }],
    });
    app = await TestApp.start(kind, {
      env: {
        TRUST_PROXY: 'true',
        PUBLIC_URL,
        APP_URL,
        OAUTH_PROVIDERS: 'corp',
        OAUTH_CORP_ISSUER: provider.issuer,
        OAUTH_CORP_CLIENT_ID: CLIENT_ID,
        OAUTH_CORP_CLIENT_SECRET: CLIENT_SECRET,
        OAUTH_ALLOW_INSECURE_ISSUERS: 'true',
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await provider?.stop();
  });

  function remember(response: Response): Response {
    const device = deviceCookieOf(response);
    if (device) secrets.add(device);
    const refresh = refreshCookie(response);
    if (refresh) secrets.add(refresh.slice(refresh.indexOf('=') + 1));
    for (const key of ['accessToken', 'mfaToken']) {
      const value = (response.body as Record<string, unknown> | undefined)?.[key];
      if (typeof value === 'string') secrets.add(value);
    }
    return response;
  }

  /** Sends `request` as the client `from` would: its user agent, its address and its device cookie, if any. */
  function as<T extends { set(name: string, value: string): T }>(request: T, from: From): T {
    const sent = request.set('User-Agent', from.ua).set('X-Forwarded-For', from.ip);
    return from.device ? sent.set('Cookie', `${DEVICE_COOKIE}=${from.device}`) : sent;
  }

  async function loginFrom(email: string, from: From): Promise<Response> {
    const response = await as(app.http().post('/api/auth/login'), from).send({ email, password: PASSWORD });
    if (response.status !== 200)
      throw new Error(`login failed: ${response.status} ${JSON.stringify(response.body)}`);
    return remember(response);
  }

  /** How many new-device notices the outbox holds for `email`: queued with the session, so counted at once. */
  async function noticeCount(email: string): Promise<number> {
    const [{ count }] = await app.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM mail_outbox WHERE "to" = $1 AND purpose = 'new_device_notice'`,
      [email],
    );
    return count;
  }

  /** The texts of the new-device notices delivered to `email`, once `count` of them are there. */
  async function noticeTexts(email: string, count: number): Promise<string[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const texts = (await outboxMessages(app))
        .filter((mail) => mail.subject === SUBJECT && sentTo(email)(mail))
        .map((mail) => mail.text ?? '');
      if (texts.length >= count) return texts;
      if (Date.now() > deadline) throw new Error(`${texts.length} of ${count} notices to ${email}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  function expectNothingSecretIn(text: string): void {
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/[A-Za-z0-9_-]{43,}/);
  }

  /** A registered account that has signed in once, from a test client with no cookie: no notice. */
  async function accountSignedInOnce(from: From): Promise<{ email: string; device: string }> {
    const email = uniqueEmail('device');
    await register(app, email);
    const first = await loginFrom(email, from);
    expect(await noticeCount(email)).toBe(0);
    return { email, device: deviceCookieOf(first)! };
  }

  describe('password sign-ins', () => {
    const email = uniqueEmail('device');
    const home: From = { ua: FIREFOX, ip: '198.51.100.10' };
    let phone: From;

    it('the first sign-in of a new account is no news: no notice, and the device cookie is set', async () => {
      await register(app, email);
      const first = await loginFrom(email, home);
      expect(deviceCookieOf(first)).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await noticeCount(email)).toBe(0);
      home.device = deviceCookieOf(first);
    });

    it('a new browser (no device cookie, another user agent) is told: when, from which address and browser', async () => {
      const response = await loginFrom(email, { ua: SAFARI, ip: '203.0.113.5' });
      expect(await noticeCount(email)).toBe(1);
      const line = deviceCookieLine(response)!;
      expect(line).toBeDefined();
      expect(attributesOf(line).has('httponly')).toBe(true);
      phone = { ua: SAFARI, ip: '203.0.113.5', device: deviceCookieOf(response) };
      expect(phone.device).not.toBe(home.device);

      const [text] = await noticeTexts(email, 1);
      expect(text).toContain(SAFARI);
      expect(text).toContain('From the address: 203.0.113.5');
      expect(text).toMatch(/When: \d{4}-\d\d-\d\dT/);
      expect(text).toContain('Signed in with: the password');
      expect(text).toMatch(/If it was not: reset your password/);
      expectNothingSecretIn(text);
    });

    it('the same browser, with its device cookie, is known wherever it signs in from; no new cookie is set', async () => {
      const again = await loginFrom(email, { ...phone, ip: '192.0.2.44' });
      expect(deviceCookieLine(again)).toBeUndefined();
      expect(refreshCookie(again)).toBeDefined();
      const home1 = await loginFrom(email, { ...home, ip: '192.0.2.45' });
      expect(deviceCookieLine(home1)).toBeUndefined();
      expect(await noticeCount(email)).toBe(1);
    });

    it('a client without cookies is known by its user agent and network (the /24), and new on another network', async () => {
      await loginFrom(email, { ua: SAFARI, ip: '203.0.113.5' });
      await loginFrom(email, { ua: SAFARI, ip: '203.0.113.250' });
      expect(await noticeCount(email)).toBe(1);
      await loginFrom(email, { ua: SAFARI, ip: '203.0.114.5' });
      expect(await noticeCount(email)).toBe(2);
    });

    it('an IPv6 client without cookies is known within its /48', async () => {
      await loginFrom(email, { ua: CURL, ip: '2001:db8:1234:1::7' });
      expect(await noticeCount(email)).toBe(3);
      await loginFrom(email, { ua: CURL, ip: '2001:db8:1234:ffff::9' });
      expect(await noticeCount(email)).toBe(3);
      await loginFrom(email, { ua: CURL, ip: '2001:db8:1235::7' });
      expect(await noticeCount(email)).toBe(4);
    });

    it('another user agent without a cookie is a new device', async () => {
      await loginFrom(email, { ua: `${FIREFOX} (another build)`, ip: '203.0.113.5' });
      expect(await noticeCount(email)).toBe(5);
    });

    it('a browser known to another account is new to this one: a device is known per account', async () => {
      const other = await accountSignedInOnce({ ua: FIREFOX, ip: '198.51.100.77' });
      await loginFrom(email, { ua: FIREFOX, ip: '198.51.100.77', device: other.device });
      expect(await noticeCount(email)).toBe(6);
      expect(await noticeCount(other.email)).toBe(0);
      // From then on that browser is known to both.
      await loginFrom(email, { ua: FIREFOX, ip: '198.51.100.77', device: other.device });
      await loginFrom(other.email, { ua: FIREFOX, ip: '198.51.100.77', device: other.device });
      expect([await noticeCount(email), await noticeCount(other.email)]).toEqual([6, 0]);
    });

    it('a device last seen 91 days ago is new again, then known', async () => {
      const [{ id }] = await app.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]);
      await app.query(
        `UPDATE known_devices SET last_seen_at = now() - interval '91 days' WHERE user_id = $1`,
        [id],
      );
      await loginFrom(email, home);
      expect(await noticeCount(email)).toBe(7);
      await loginFrom(email, home);
      expect(await noticeCount(email)).toBe(7);
      // 89 days is within the window.
      await app.query(
        `UPDATE known_devices SET last_seen_at = now() - interval '89 days' WHERE user_id = $1`,
        [id],
      );
      await loginFrom(email, home);
      expect(await noticeCount(email)).toBe(7);
    });

    it('stores a login.new_device event in the account history, with the address and browser, no secret', async () => {
      const session = await loginFrom(email, { ua: 'Gatehouse history check/1.0', ip: '192.0.2.200' });
      const response = await app
        .http()
        .get('/api/auth/activity?limit=100')
        .set('Authorization', `Bearer ${session.body.accessToken as string}`)
        .expect(200);
      const items = response.body.items as {
        type: string;
        ip: string | null;
        userAgent: string | null;
        details: Record<string, unknown>;
      }[];
      const newDevice = items.filter((item) => item.type === 'login.new_device');
      expect(newDevice.length).toBeGreaterThanOrEqual(8);
      expect(newDevice[0]).toMatchObject({
        ip: '192.0.2.200',
        userAgent: 'Gatehouse history check/1.0',
        details: { identifiedBy: 'agent' },
      });
      expect(newDevice[0].details.sessionId).toEqual(expect.any(String));
      const cookieSighting = newDevice.find((item) => item.details.identifiedBy === 'cookie');
      expect(cookieSighting).toBeDefined();
      expectNothingSecretIn(JSON.stringify(items).replace(/"[0-9a-f-]{36}"/g, '""'));
    });

    it('stores only hashes: no device cookie in the table, rows per account and key', async () => {
      const rows = await app.query<{ key_hash: Buffer; kind: string }>(
        `SELECT d.key_hash, d.kind FROM known_devices d JOIN users u ON u.id = d.user_id WHERE u.email = $1`,
        [email],
      );
      expect(rows.length).toBeGreaterThan(2);
      expect(new Set(rows.map((row) => row.kind))).toEqual(new Set(['cookie', 'agent']));
      for (const row of rows) {
        expect(row.key_hash).toHaveLength(32);
        for (const secret of secrets) expect(row.key_hash.toString('latin1')).not.toContain(secret);
      }
    });
  });

  it('an account older than 90 days with no device on record is told even of its first sign-in here', async () => {
    const email = uniqueEmail('dormant');
    await register(app, email);
    await app.query(`UPDATE users SET created_at = now() - interval '120 days' WHERE email = $1`, [email]);
    await loginFrom(email, { ua: FIREFOX, ip: '198.51.100.10' });
    expect(await noticeCount(email)).toBe(1);
  });

  it('with TOTP on, the notice comes with the session at mfa/verify, not at the password step', async () => {
    const user = await signUpVerified(app);
    const enrolled = await enrolTotp(app, user);
    const laptop: From = { ua: SAFARI, ip: '203.0.113.99' };
    const first = await loginFrom(user.email, laptop);
    expect(first.body).toMatchObject({ mfaRequired: true });
    expect(deviceCookieLine(first)).toBeUndefined();
    expect(await noticeCount(user.email)).toBe(0);

    const verified = remember(
      await as(app.http().post('/api/auth/mfa/verify'), laptop).send({
        mfaToken: first.body.mfaToken as string,
        code: await enrolled.authenticator.nextCode(),
      }),
    );
    expect(verified.status).toBe(200);
    expect(deviceCookieOf(verified)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await noticeCount(user.email)).toBe(1);
    const [text] = await noticeTexts(user.email, 1);
    expect(text).toContain('Signed in with: the password and a code from the authenticator app');
    expect(text).toContain('From the address: 203.0.113.99');
    expectNothingSecretIn(text);

    // The same browser, with its cookie, through both steps: nothing to tell.
    const known: From = { ...laptop, device: deviceCookieOf(verified) };
    const second = await loginFrom(user.email, known);
    const again = remember(
      await as(app.http().post('/api/auth/mfa/verify'), known).send({
        mfaToken: second.body.mfaToken as string,
        recoveryCode: enrolled.recoveryCodes[0],
      }),
    );
    expect(again.status).toBe(200);
    expect(deviceCookieLine(again)).toBeUndefined();
    expect(await noticeCount(user.email)).toBe(1);
  });

  it('a passkey sign-in carries the device cookie, or is given one and told of', async () => {
    const user: LoggedIn = await signUpVerified(app);
    const authenticator = new SoftAuthenticator();
    const bearer = `Bearer ${user.accessToken}`;
    const creation = await app
      .http()
      .post('/api/auth/passkeys/register/options')
      .set('Authorization', bearer)
      .expect(200);
    await app
      .http()
      .post('/api/auth/passkeys/register')
      .set('Authorization', bearer)
      .send({ credential: authenticator.create(creation.body, APP_URL) })
      .expect(201);

    const signIn = async (from: From) => {
      const options = await app.http().post('/api/auth/passkeys/login/options').expect(200);
      const credential = authenticator.get(options.body, APP_URL);
      return remember(
        await as(app.http().post('/api/auth/passkeys/login'), from).send({ credential }).expect(200),
      );
    };
    const tablet: From = { ua: SAFARI, ip: '192.0.2.150' };
    const first = await signIn(tablet);
    expect(deviceCookieOf(first)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await noticeCount(user.email)).toBe(1);
    const [text] = await noticeTexts(user.email, 1);
    expect(text).toContain('Signed in with: a passkey');
    expectNothingSecretIn(text);

    const again = await signIn({ ...tablet, device: deviceCookieOf(first) });
    expect(deviceCookieLine(again)).toBeUndefined();
    expect(await noticeCount(user.email)).toBe(1);
  });

  it("a provider's callback sets the device cookie with the refresh cookie, and reads it back", async () => {
    const account = {
      sub: `corp-${randomUUID()}`,
      email: uniqueEmail('corp'),
      emailVerified: true,
      name: 'Corp user',
    };
    provider.account(account);
    const signInAtProvider = async (from: Omit<From, 'ip'>) => {
      const started = flow.startedFrom(await flow.start());
      const back = await provider.signIn(started.authorizationUrl.toString(), account.sub);
      const cookies = from.device ? `${started.cookie}; ${DEVICE_COOKIE}=${from.device}` : started.cookie;
      const response = await flow.callback(back, cookies).set('User-Agent', from.ua);
      expect(response.status).toBe(303);
      expect(response.headers.location).toBe(`${APP_URL}/`);
      return remember(response);
    };

    // The account is made by this first sign-in: no notice, but the browser gets its device cookie.
    const first = await signInAtProvider({ ua: FIREFOX });
    expect(refreshCookie(first)).toBeDefined();
    const line = deviceCookieLine(first)!;
    expect(line).toBeDefined();
    expect(attributesOf(line).get('samesite')?.toLowerCase()).toBe('lax');
    expect(await noticeCount(account.email)).toBe(0);

    const again = await signInAtProvider({ ua: FIREFOX, device: deviceCookieOf(first) });
    expect(refreshCookie(again)).toBeDefined();
    expect(deviceCookieLine(again)).toBeUndefined();
    expect(await noticeCount(account.email)).toBe(0);

    const elsewhere = await signInAtProvider({ ua: CURL });
    expect(deviceCookieOf(elsewhere)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await noticeCount(account.email)).toBe(1);
    const [text] = await noticeTexts(account.email, 1);
    expect(text).toContain('Signed in with: a sign-in provider');
    expect(text).toContain(CURL);
  });

  it('a refresh neither sets the device cookie nor tells anyone', async () => {
    const { email } = await accountSignedInOnce({ ua: FIREFOX, ip: '198.51.100.10' });
    const session = await loginFrom(email, { ua: CURL, ip: '192.0.2.1' });
    expect(await noticeCount(email)).toBe(1);
    const refreshed = await app
      .http()
      .post('/api/auth/refresh')
      .set('User-Agent', SAFARI)
      .set('X-Forwarded-For', '203.0.113.1')
      .set('Cookie', refreshCookie(session)!)
      .expect(200);
    remember(refreshed);
    expect(deviceCookieLine(refreshed)).toBeUndefined();
    expect(await noticeCount(email)).toBe(1);
  });

  it('the clean-up drops devices unseen for 90 days, and keeps the others', async () => {
    const { email } = await accountSignedInOnce({ ua: FIREFOX, ip: '198.51.100.10' });
    const [{ id }] = await app.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]);
    await app.query(
      `UPDATE known_devices SET last_seen_at = now() - interval '91 days' WHERE user_id = $1 AND kind = 'agent'`,
      [id],
    );
    await app.app.get(SessionCleaner).runOnce();
    const left = await app.query<{ kind: string }>('SELECT kind FROM known_devices WHERE user_id = $1', [id]);
    expect(left.map((row) => row.kind)).toEqual(['cookie']);
  });

  it('no log line holds a device cookie, a token or a cookie value', () => {
    const logs = app.logs.lines.join('\n');
    for (const secret of secrets) expect(logs).not.toContain(secret);
    expect(logs).toContain('login.new_device');
  });

  describe('the device cookie', () => {
    it('is HttpOnly, SameSite=Lax, Path=/api/auth, Max-Age 400 days, Secure as the refresh cookie', async () => {
      const { email } = await accountSignedInOnce({ ua: FIREFOX, ip: '198.51.100.10' });
      const response = await loginFrom(email, { ua: SAFARI, ip: '198.51.100.11' });
      const device = attributesOf(deviceCookieLine(response)!);
      expect(device.has('httponly')).toBe(true);
      expect(device.get('samesite')?.toLowerCase()).toBe('lax');
      expect(device.get('path')).toBe('/api/auth');
      expect(Number(device.get('max-age'))).toBe(FOUR_HUNDRED_DAYS);
      expect(device.has('secure')).toBe(true);
      expect(device.has('secure')).toBe(attributesOf(refreshCookieLine(response)!).has('secure'));
    });

    it('drops Secure only where the refresh cookie does (COOKIE_SECURE=false)', async () => {
      await app.restart({ COOKIE_SECURE: 'false' });
      const email = uniqueEmail('insecure');
      await register(app, email);
      const response = await login(app, email);
      expect(attributesOf(deviceCookieLine(response.response)!).has('secure')).toBe(false);
      expect(attributesOf(refreshCookieLine(response.response)!).has('secure')).toBe(false);
    });

    it('is ignored when it is not one the app could have made, and replaced', async () => {
      const { email } = await accountSignedInOnce({ ua: FIREFOX, ip: '198.51.100.10' });
      const response = await loginFrom(email, {
        ua: FIREFOX,
        ip: '198.51.100.10',
        device: 'not-a-device-cookie',
      });
      expect(deviceCookieOf(response)).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // Known by its user agent and network instead.
      expect(await noticeCount(email)).toBe(0);
    });
  });
});
