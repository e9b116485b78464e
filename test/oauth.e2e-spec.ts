import { ParsedMail } from 'mailparser';
import { randomUUID } from 'node:crypto';
import { Response } from 'supertest';
import {
  decodeJwt,
  LoggedIn,
  login,
  PASSWORD,
  refresh,
  refreshCookie,
  refreshCookieLine,
  signUp,
  uniqueEmail,
} from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { expectNestError } from './support/expectations';
import { TestMailbox } from './support/mailbox';
import {
  APP_URL,
  callbackUrl,
  HOME,
  OAUTH_COOKIE_PATH,
  oauthFlow,
  PUBLIC_URL,
  setCookies,
  Started,
  transactionCookieLine,
} from './support/oauth-flow';
import { ProviderAccount, TestOidcProvider } from './support/oidc-provider';
import { freePort } from './support/server-process';
import { Env, TestApp } from './support/test-app';
import { signUpVerified } from './support/verified-sign-up';

const CALLBACK_URL = callbackUrl('corp');
const CLIENT_ID = 'gatehouse-e2e';
const CLIENT_SECRET = 'the corp client secret that no log may show';
const ADMIN_PASSWORD = 'the gatehouse administrator passphrase';
const NEW_PASSWORD = 'a passphrase set after signing up elsewhere';

const CLIENTS = [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [CALLBACK_URL] }];

function oauthEnv(issuer: string): Env {
  return {
    PUBLIC_URL,
    APP_URL,
    OAUTH_PROVIDERS: 'corp',
    OAUTH_CORP_ISSUER: issuer,
    OAUTH_CORP_CLIENT_ID: CLIENT_ID,
    OAUTH_CORP_CLIENT_SECRET: CLIENT_SECRET,
    OAUTH_CORP_NAME: 'Corp',
    OAUTH_ALLOW_INSECURE_ISSUERS: 'true',
  };
}

function cookieAttribute(line: string, name: string): string | undefined {
  const part = line
    .split(';')
    .map((p) => p.trim())
    .find(
      (p) => p.toLowerCase() === name.toLowerCase() || p.toLowerCase().startsWith(`${name.toLowerCase()}=`),
    );
  return part?.includes('=') ? part.slice(part.indexOf('=') + 1) : part;
}

/** A cookie's shape without its value and lifetime: what "set exactly like login" compares. */
function cookieShape(line: string): string[] {
  const [pair, ...attributes] = line.split(';').map((p) => p.trim());
  const name = pair.slice(0, pair.indexOf('='));
  const kept = attributes.filter((a) => !/^(max-age|expires)=/i.test(a)).map((a) => a.toLowerCase());
  return [name, ...kept.sort()];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachDatabase('sign-in with an OpenID provider', (kind) => {
  const adminEmail = `admin-${randomUUID()}@example.com`;
  let provider: TestOidcProvider;
  let mailbox: TestMailbox;
  let app: TestApp;
  let admin: LoggedIn;
  // Everything secret that went past: the logs test at the end looks for each of them.
  const secrets = new Set<string>([CLIENT_SECRET]);
  const { startedFrom, start, callback, expectOAuthError, sessionOf, usersWithEmail } = oauthFlow({
    app: () => app,
    provider: 'corp',
    secrets,
  });

  beforeAll(async () => {
    provider = await TestOidcProvider.start({ clients: CLIENTS });
    mailbox = await TestMailbox.start();
    app = await TestApp.start(kind, {
      env: {
        ...oauthEnv(provider.issuer),
        ADMIN_EMAIL: adminEmail,
        ADMIN_PASSWORD,
        SMTP_URL: mailbox.url,
        THROTTLE_RECOVERY_LIMIT: '1000',
      },
    });
    admin = await login(app, adminEmail, ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.stop();
    await provider?.stop();
  });

  const bearer = (session: { accessToken: string }) => `Bearer ${session.accessToken}`;

  /** A password account whose address is proven (from the mail): one that may link a provider. */
  const verifiedUser = () => signUpVerified(app, uniqueEmail(), mailbox);

  /** The notice with `subject` mailed to `email` (received or still to come). */
  const noticeTo = (email: string, subject: string) =>
    mailbox.waitFor(
      (m: ParsedMail) => JSON.stringify(m.to ?? '').includes(email) && m.subject === subject,
      10_000,
    );

  /** A fresh account at the provider, with a verified address unless told otherwise. */
  function account(prefix: string, changes: Partial<ProviderAccount> = {}): ProviderAccount {
    const created: ProviderAccount = {
      sub: `${prefix}-${randomUUID()}`,
      email: uniqueEmail(prefix),
      emailVerified: true,
      name: `${prefix} at Corp`,
      ...changes,
    };
    provider.account(created);
    return created;
  }

  /** Start, sign in at the provider as `sub`, and come back: the callback's answer. */
  async function signInWith(sub: string, returnTo?: string): Promise<Response> {
    const started = startedFrom(await start(returnTo));
    return callback(await provider.signIn(started.authorizationUrl.toString(), sub), started.cookie);
  }

  /** The callback ended with a new session: the refresh cookie set exactly as login sets it, and so on. */
  function expectSession(response: Response, location = HOME): void {
    expect({ status: response.status, location: response.headers.location }).toEqual({
      status: 303,
      location,
    });
    const line = refreshCookieLine(response);
    expect(line).toBeDefined();
    expect(cookieShape(line!)).toEqual(cookieShape(refreshCookieLine(admin.response)!));
    expect(cookieShape(line!)).toEqual([
      'refresh_token',
      'httponly',
      'path=/api/auth',
      'samesite=strict',
      'secure',
    ]);
    expect(response.headers['cache-control']).toMatch(/no-store/);
    const cleared = transactionCookieLine(response);
    expect(cleared).toBeDefined();
    const expires = cookieAttribute(cleared!, 'expires');
    const gone =
      cookieAttribute(cleared!, 'max-age') === '0' || (expires && Date.parse(expires) <= Date.now());
    expect(gone).toBeTruthy();
    secrets.add(line!.split(';')[0].split('=')[1]);
  }

  async function signUpWith(sub: string): Promise<LoggedIn> {
    const answer = await signInWith(sub);
    expectSession(answer);
    return sessionOf(answer);
  }

  const identities = (session: LoggedIn) =>
    app.http().get('/api/auth/identities').set('Authorization', bearer(session));
  const unlink = (session: LoggedIn, id: string) =>
    app.http().delete(`/api/auth/identities/${id}`).set('Authorization', bearer(session));

  /**
   * Asks to link, opens the `url` the answer gives as a browser would, signs in at the provider as `sub`, and
   * comes back: the callback's answer. The url is the app's own start link or the provider's page (then the
   * link answer itself carries the transaction cookie); both are followed.
   */
  async function linkWith(session: LoggedIn, sub: string): Promise<Response> {
    const linked = await app
      .http()
      .post('/api/auth/oauth/corp/link')
      .set('Authorization', bearer(session))
      .expect(200);
    expect(typeof linked.body.url).toBe('string');
    const url = new URL(linked.body.url as string, PUBLIC_URL);
    let started: Started;
    if (url.origin === new URL(provider.issuer).origin) {
      const line = transactionCookieLine(linked);
      if (!line) throw new Error('the link answer pointed at the provider but set no transaction cookie');
      started = { response: linked, authorizationUrl: url, cookie: line.split(';')[0] };
    } else {
      expect(url.origin).toBe(PUBLIC_URL);
      started = startedFrom(await app.http().get(`${url.pathname}${url.search}`));
    }
    return callback(await provider.signIn(started.authorizationUrl.toString(), sub), started.cookie);
  }

  async function identityRows(sub: string): Promise<{ user_id: string; provider: string }[]> {
    return app.query('SELECT user_id, provider FROM user_identities WHERE subject = $1', [sub]);
  }

  describe('GET /api/auth/oauth/providers', () => {
    it('lists the configured providers by id and name, to anyone', async () => {
      const response = await app.http().get('/api/auth/oauth/providers').expect(200);
      expect(response.body).toEqual([{ id: 'corp', name: 'Corp' }]);
    });
  });

  describe('GET /api/auth/oauth/:provider/start', () => {
    it("redirects (303) to the provider's authorization endpoint with every parameter, the callback from PUBLIC_URL whatever the Host", async () => {
      const response = await app
        .http()
        .get('/api/auth/oauth/corp/start')
        .set('Host', 'attacker.example.net')
        .set('X-Forwarded-Host', 'attacker.example.net');
      const { authorizationUrl } = startedFrom(response);
      expect(`${authorizationUrl.origin}${authorizationUrl.pathname}`).toBe(provider.authorizationEndpoint);
      const params = authorizationUrl.searchParams;
      expect(params.get('response_type')).toBe('code');
      expect(params.get('client_id')).toBe(CLIENT_ID);
      expect(params.get('redirect_uri')).toBe(CALLBACK_URL);
      expect(params.get('scope')?.split(' ').sort()).toEqual(['email', 'openid', 'profile']);
      expect(params.get('state')).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      expect(params.get('nonce')).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(params.get('code_challenge_method')).toBe('S256');
    });

    it('draws a new state, nonce and PKCE challenge for every start', async () => {
      const first = startedFrom(await start()).authorizationUrl.searchParams;
      const second = startedFrom(await start()).authorizationUrl.searchParams;
      for (const name of ['state', 'nonce', 'code_challenge']) {
        expect(first.get(name)).not.toBe(second.get(name));
      }
    });

    it('sets an HttpOnly, SameSite=Lax transaction cookie on the OAuth routes for at most 10 minutes, and no session', async () => {
      const response = await start();
      const line = transactionCookieLine(response)!;
      expect(line).toBeDefined();
      expect(cookieAttribute(line, 'httponly')).toBeDefined();
      expect(cookieAttribute(line, 'samesite')?.toLowerCase()).toBe('lax');
      expect(cookieAttribute(line, 'path')).toBe(OAUTH_COOKIE_PATH);
      const maxAge = cookieAttribute(line, 'max-age');
      const expires = cookieAttribute(line, 'expires');
      expect(maxAge !== undefined || expires !== undefined).toBe(true);
      if (maxAge !== undefined) {
        expect(Number(maxAge)).toBeGreaterThan(0);
        expect(Number(maxAge)).toBeLessThanOrEqual(600);
      }
      if (expires !== undefined) expect(Date.parse(expires)).toBeLessThanOrEqual(Date.now() + 601_000);
      expect(refreshCookie(response)).toBeUndefined();
    });

    it('answers 404 to an unknown provider, for start and for link', async () => {
      expectNestError((await start(undefined, 'nosuch').expect(404)).body, 404);
      const user = await signUp(app);
      const link = await app
        .http()
        .post('/api/auth/oauth/nosuch/link')
        .set('Authorization', bearer(user))
        .expect(404);
      expectNestError(link.body, 404);
    });
  });

  describe('first sign-in', () => {
    it('creates a verified user with no password and starts a session exactly as login does, with amr ["fed"]', async () => {
      const corp = account('newcomer');
      const answer = await signInWith(corp.sub);
      expectSession(answer);
      expect(answer.headers.location).not.toMatch(/code|token|state/i);

      const session = await sessionOf(answer);
      expect(session.response.body.user).toMatchObject({ email: corp.email, emailVerified: true });
      expect(decodeJwt(session.accessToken).payload.amr).toEqual(['fed']);
      await app.http().get('/api/users/me').set('Authorization', bearer(session)).expect(200);
      expect(await identityRows(corp.sub)).toEqual([{ user_id: session.userId, provider: 'corp' }]);
      const [user] = await app.query<{ password_hash: string | null }>(
        'SELECT password_hash FROM users WHERE id = $1',
        [session.userId],
      );
      expect(user.password_hash).toBeNull();
    });

    it('sends the browser back to <APP_URL><returnTo> when returnTo is a path', async () => {
      const corp = account('returning-to');
      expectSession(await signInWith(corp.sub, '/notes?x=1'), `${APP_URL}/notes?x=1`);
    });

    it('signs a returning provider account in as the same user, without a second user or identity', async () => {
      const corp = account('regular');
      const first = await signUpWith(corp.sub);
      const second = await signUpWith(corp.sub);
      expect(second.userId).toBe(first.userId);
      expect(second.response.body.user.email).toBe(corp.email);
      expect(await usersWithEmail(corp.email)).toBe(1);
      expect(await identityRows(corp.sub)).toHaveLength(1);
    });

    it('never links by email: an address that has a password account is account_exists, with no session and no identity', async () => {
      const owner = await signUp(app);
      const corp = account('lookalike', { email: owner.email });
      expectOAuthError(await signInWith(corp.sub), 'account_exists');
      expect(await identityRows(corp.sub)).toHaveLength(0);
      // The same address in other letter case is the same address.
      const shouting = account('shouting', { email: owner.email.toUpperCase() });
      expectOAuthError(await signInWith(shouting.sub), 'account_exists');
      expect(await identityRows(shouting.sub)).toHaveLength(0);
      expect(await usersWithEmail(owner.email)).toBe(1);
      await login(app, owner.email);
    });

    it('creates no user when the provider does not say the address is verified: email_unverified', async () => {
      const corp = account('unverified', { emailVerified: false });
      expectOAuthError(await signInWith(corp.sub), 'email_unverified');
      expect(await usersWithEmail(corp.email)).toBe(0);
      expect(await identityRows(corp.sub)).toHaveLength(0);
    });

    it('answers access_denied when the user says no at the provider', async () => {
      const started = startedFrom(await start());
      const denied = await provider.deny(started.authorizationUrl.toString());
      expect(denied.searchParams.get('error')).toBe('access_denied');
      expectOAuthError(await callback(denied, started.cookie), 'access_denied');
    });

    it('refuses a disabled user: account_disabled', async () => {
      const corp = account('disabled');
      const session = await signUpWith(corp.sub);
      await app
        .http()
        .post(`/api/admin/users/${session.userId}/disable`)
        .set('Authorization', bearer(admin))
        .expect(204);
      expectOAuthError(await signInWith(corp.sub), 'account_disabled');
    });

    it('creates one user and one identity when two first sign-ins of one account arrive at once, with no 500', async () => {
      const corp = account('twice');
      const flows = await Promise.all(
        [0, 1].map(async () => {
          const started = startedFrom(await start());
          return {
            url: await provider.signIn(started.authorizationUrl.toString(), corp.sub),
            cookie: started.cookie,
          };
        }),
      );
      const answers = await Promise.all(flows.map((flow) => callback(flow.url, flow.cookie)));
      for (const answer of answers) expect(answer.status).toBe(303);
      const signedIn = answers.filter((answer) => refreshCookie(answer) !== undefined);
      expect(signedIn.length).toBeGreaterThanOrEqual(1);
      for (const answer of signedIn) expectSession(answer);
      const userIds = new Set<string>();
      for (const answer of signedIn) userIds.add((await sessionOf(answer)).userId);
      expect(userIds.size).toBe(1);
      expect(await usersWithEmail(corp.email)).toBe(1);
      expect(await identityRows(corp.sub)).toHaveLength(1);
    });
  });

  describe('the login transaction', () => {
    async function providerAnswer(): Promise<{ url: URL; cookie: string }> {
      const corp = account('transaction');
      const started = startedFrom(await start());
      return {
        url: await provider.signIn(started.authorizationUrl.toString(), corp.sub),
        cookie: started.cookie,
      };
    }

    function withParam(url: URL, name: string, value: string | null): URL {
      const changed = new URL(url);
      if (value === null) changed.searchParams.delete(name);
      else changed.searchParams.set(name, value);
      return changed;
    }

    it('refuses a tampered state: invalid_request', async () => {
      const { url, cookie } = await providerAnswer();
      const state = url.searchParams.get('state')!;
      const tampered = `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`;
      expectOAuthError(await callback(withParam(url, 'state', tampered), cookie), 'invalid_request');
    });

    it('refuses a callback without the transaction cookie: invalid_request', async () => {
      const { url } = await providerAnswer();
      expectOAuthError(await callback(url), 'invalid_request');
    });

    it("refuses another browser's callback (login CSRF): this browser's cookie with someone else's code and state", async () => {
      const victim = await providerAnswer();
      const attacker = await providerAnswer();
      expectOAuthError(await callback(attacker.url, victim.cookie), 'invalid_request');
    });

    it('accepts a callback once: the same URL and cookie again is invalid_request and starts no session', async () => {
      const { url, cookie } = await providerAnswer();
      expectSession(await callback(url, cookie));
      expectOAuthError(await callback(url, cookie), 'invalid_request');
    });

    it('refuses a wrong or missing iss (RFC 9207): invalid_request', async () => {
      const wrong = await providerAnswer();
      expect(wrong.url.searchParams.get('iss')).toBe(provider.issuer);
      const elsewhere = withParam(wrong.url, 'iss', 'http://localhost:1/evil');
      expectOAuthError(await callback(elsewhere, wrong.cookie), 'invalid_request');
      const missing = await providerAnswer();
      expectOAuthError(
        await callback(withParam(missing.url, 'iss', null), missing.cookie),
        'invalid_request',
      );
    });

    it('refuses a transaction older than 10 minutes: invalid_request', async () => {
      const { url, cookie } = await providerAnswer();
      await app.query(
        `UPDATE oauth_transactions SET created_at = created_at - interval '11 minutes',
           expires_at = expires_at - interval '11 minutes'`,
      );
      expectOAuthError(await callback(url, cookie), 'invalid_request');
    });
  });

  describe('returnTo', () => {
    const hostile: [string, string][] = [
      ['a protocol-relative URL', '//evil.com'],
      ['a backslash after the slash', '/\\evil.com'],
      ['an absolute URL', 'https://evil.com'],
      ['a javascript: URL', 'javascript:alert(1)'],
      ['a header injection', '/\r\nSet-Cookie:x=1'],
      ['a leading backslash', '\\evil'],
      ['a control character', '/notes\u0007'],
      ['a tab that browsers drop', '/\t/evil.com'],
      ['no leading slash', 'evil.com'],
    ];

    it.each(hostile)('sends %s to APP_URL/', async (_name, returnTo) => {
      const corp = account('hostile');
      const answer = await signInWith(corp.sub, returnTo);
      expectSession(answer, HOME);
      expect(setCookies(answer).some((line) => line.startsWith('x='))).toBe(false);
    });
  });

  describe('linking a provider account to a signed-in user', () => {
    it('attaches it: identities lists it, the owner is told, and the provider account then signs that user in', async () => {
      const user = await verifiedUser();
      const corp = account('linked');
      const answer = await linkWith(user, corp.sub);
      expect(answer.status).toBe(303);
      expect(new URL(answer.headers.location).origin).toBe(APP_URL);
      expect(answer.headers.location).not.toContain('oauth_error');

      const listed = await identities(user).expect(200);
      expect(listed.body).toHaveLength(1);
      const [identity] = listed.body as Record<string, unknown>[];
      expect(Object.keys(identity).sort()).toEqual(['createdAt', 'email', 'id', 'lastUsedAt', 'provider']);
      expect(identity).toMatchObject({ provider: 'corp', email: corp.email });
      expect(identity.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number.isNaN(Date.parse(identity.createdAt as string))).toBe(false);

      await noticeTo(user.email, 'A sign-in provider was linked to your account');
      const viaProvider = await signUpWith(corp.sub);
      expect(viaProvider.userId).toBe(user.userId);
    });

    it('needs a verified address: link is 403 "email not verified" until the mailed link is used', async () => {
      const user = await signUp(app);
      const refused = await app
        .http()
        .post('/api/auth/oauth/corp/link')
        .set('Authorization', bearer(user))
        .expect(403);
      expectNestError(refused.body, 403);
      expect(refused.body.message).toBe('email not verified');
      expect(transactionCookieLine(refused)).toBeUndefined();
      expect((await identities(user).expect(200)).body).toEqual([]);
    });

    it('refuses at the callback an address no longer verified when the link flow began: email_unverified, no identity', async () => {
      const user = await verifiedUser();
      const corp = account('unproven');
      const linked = await app
        .http()
        .post('/api/auth/oauth/corp/link')
        .set('Authorization', bearer(user))
        .expect(200);
      const url = new URL(linked.body.url as string, PUBLIC_URL);
      const started =
        url.origin === new URL(provider.issuer).origin
          ? { authorizationUrl: url, cookie: transactionCookieLine(linked)!.split(';')[0] }
          : startedFrom(await app.http().get(`${url.pathname}${url.search}`));
      const back = await provider.signIn(started.authorizationUrl.toString(), corp.sub);
      await app.query('UPDATE users SET email_verified_at = NULL WHERE id = $1', [user.userId]);
      expectOAuthError(await callback(back, started.cookie), 'email_unverified');
      expect(await identityRows(corp.sub)).toHaveLength(0);
    });

    it('refuses an account already linked to another user: identity_in_use, and it stays with that user', async () => {
      const first = await verifiedUser();
      const second = await verifiedUser();
      const corp = account('contested');
      await linkWith(first, corp.sub);
      expectOAuthError(await linkWith(second, corp.sub), 'identity_in_use');
      expect((await identities(second).expect(200)).body).toEqual([]);
      expect((await signUpWith(corp.sub)).userId).toBe(first.userId);
    });

    it('needs a bearer token to link and to list', async () => {
      await app.http().post('/api/auth/oauth/corp/link').expect(401);
      await app.http().get('/api/auth/identities').expect(401);
    });
  });

  describe('DELETE /api/auth/identities/:id', () => {
    it('unlinks (204): the list is empty, other sessions end, and the provider account no longer signs that user in', async () => {
      const user = await verifiedUser();
      const corp = account('unlinked', { email: user.email });
      await linkWith(user, corp.sub);
      const other = await login(app, user.email);
      const [identity] = (await identities(user).expect(200)).body as { id: string }[];
      await unlink(user, identity.id).expect(204);
      expect((await identities(user).expect(200)).body).toEqual([]);
      // Every other session of the user ends, access tokens included; the caller's own stays.
      await app.http().get('/api/users/me').set('Authorization', bearer(other)).expect(401);
      await refresh(app, other.cookie).expect(401);
      await app.http().get('/api/users/me').set('Authorization', bearer(user)).expect(200);
      await refresh(app, user.cookie).expect(200);
      await noticeTo(user.email, 'A sign-in provider was unlinked from your account');
      // The address still belongs to the password account: no automatic linking on the way back.
      expectOAuthError(await signInWith(corp.sub), 'account_exists');
    });

    it("answers 404 to another user's identity and to a random id, 400 to a malformed id", async () => {
      const owner = await verifiedUser();
      const stranger = await signUp(app);
      await linkWith(owner, account('owned').sub);
      const [identity] = (await identities(owner).expect(200)).body as { id: string }[];
      expectNestError((await unlink(stranger, identity.id).expect(404)).body, 404);
      expectNestError((await unlink(stranger, randomUUID()).expect(404)).body, 404);
      expectNestError((await unlink(stranger, 'not-a-uuid').expect(400)).body, 400);
      expect((await identities(owner).expect(200)).body).toHaveLength(1);
    });

    it('answers 409 when it is the last way to sign in (a provider-made user with no password)', async () => {
      const corp = account('only-way');
      const session = await signUpWith(corp.sub);
      const [identity] = (await identities(session).expect(200)).body as { id: string }[];
      expectNestError((await unlink(session, identity.id).expect(409)).body, 409);
      expect((await identities(session).expect(200)).body).toHaveLength(1);
    });
  });

  describe('a user made by a provider, and passwords', () => {
    it('gets the same 401 from password login as a wrong password', async () => {
      const corp = account('passwordless');
      await signUpWith(corp.sub);
      const registered = await signUp(app);
      const wrong = await app
        .http()
        .post('/api/auth/login')
        .send({ email: registered.email, password: 'not the passphrase of this account' });
      const passwordless = await app
        .http()
        .post('/api/auth/login')
        .send({ email: corp.email, password: PASSWORD });
      expect(passwordless.status).toBe(401);
      expect(passwordless.body).toEqual(wrong.body);
    });

    it('sets a password through forgot and reset, then logs in with it and may unlink', async () => {
      const corp = account('resetting');
      const session = await signUpWith(corp.sub);
      await app.http().post('/api/auth/password/forgot').send({ email: corp.email }).expect(202);
      const message: ParsedMail = await mailbox.waitFor(
        (m) => JSON.stringify(m.to ?? '').includes(corp.email) && /reset/i.test(m.subject ?? ''),
        10_000,
      );
      const token = new RegExp(
        `^${APP_URL.replace(/\./g, '\\.')}/#reset-password=([A-Za-z0-9_-]{43,})$`,
        'm',
      ).exec(message.text ?? '')?.[1];
      expect(token).toBeDefined();
      await app
        .http()
        .post('/api/auth/password/reset')
        .send({ token, newPassword: NEW_PASSWORD })
        .expect(204);
      const withPassword = await login(app, corp.email, NEW_PASSWORD);
      expect(withPassword.userId).toBe(session.userId);
      const [identity] = (await identities(withPassword).expect(200)).body as { id: string }[];
      await unlink(withPassword, identity.id).expect(204);
    });
  });

  describe('logs', () => {
    interface Entry {
      securityEvent?: string;
      [key: string]: unknown;
    }
    const entries = (): Entry[] =>
      app.logs.lines.flatMap((line) => {
        try {
          return [JSON.parse(line) as Entry];
        } catch {
          return [];
        }
      });

    it('record oauth.user_created, oauth.signed_in, oauth.linked, oauth.unlinked and oauth.failed with the code', () => {
      // Runs after the flows above, which produced each of these.
      const events = entries().filter((entry) => typeof entry.securityEvent === 'string');
      const names = new Set(events.map((entry) => entry.securityEvent));
      for (const name of [
        'oauth.user_created',
        'oauth.signed_in',
        'oauth.linked',
        'oauth.unlinked',
        'oauth.failed',
      ]) {
        expect(names).toContain(name);
      }
      const failures = events
        .filter((entry) => entry.securityEvent === 'oauth.failed')
        .map((e) => JSON.stringify(e));
      for (const code of [
        'account_exists',
        'email_unverified',
        'access_denied',
        'invalid_request',
        'identity_in_use',
      ]) {
        expect(failures.some((failure) => failure.includes(code))).toBe(true);
      }
    });

    it("record oauth.linked with the provider, oauth.unlinked with the identity, both with the user, the caller's session and the address", () => {
      const events = entries();
      const linked = events.filter((entry) => entry.securityEvent === 'oauth.linked');
      const unlinked = events.filter((entry) => entry.securityEvent === 'oauth.unlinked');
      expect(linked.length).toBeGreaterThan(0);
      expect(unlinked.length).toBeGreaterThan(0);
      const changedBy = {
        userId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        sessionId: expect.any(String),
        ip: expect.any(String),
      };
      for (const entry of linked) {
        expect(entry).toEqual(expect.objectContaining({ ...changedBy, provider: 'corp' }));
      }
      for (const entry of unlinked) {
        expect(entry).toEqual(
          expect.objectContaining({ ...changedBy, identityId: expect.stringMatching(/^[0-9a-f-]{36}$/) }),
        );
      }
    });

    it("never contain a code, a state, the client secret, a cookie or the provider's tokens", () => {
      expect(provider.issuedTokens.length).toBeGreaterThan(0);
      const all = new Set(secrets);
      for (const token of provider.issuedTokens) {
        all.add(token);
        if (token.split('.').length === 3) all.add(token.split('.')[2]);
      }
      const text = app.logs.lines.join('\n');
      const leaked = [...all].filter((secret) => secret.length >= 8 && text.includes(secret));
      expect(leaked).toEqual([]);
    });
  });
});

describeEachDatabase('sign-in with an OpenID provider that is down when the app starts', (kind) => {
  let provider: TestOidcProvider | undefined;
  let app: TestApp;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    app = await TestApp.start(kind, { env: oauthEnv(`http://localhost:${port}`) });
  });
  afterAll(async () => {
    await app?.stop();
    await provider?.stop();
  });

  it('starts anyway, fails sign-ins with provider_error, and signs in once the provider answers', async () => {
    await app.http().get('/api/health').expect(200);
    expect((await app.http().get('/api/auth/oauth/providers').expect(200)).body).toEqual([
      { id: 'corp', name: 'Corp' },
    ]);
    const down = await app.http().get('/api/auth/oauth/corp/start');
    expect({ status: down.status, location: down.headers.location }).toEqual({
      status: 303,
      location: `${APP_URL}/?oauth_error=provider_error`,
    });
    expect(refreshCookie(down)).toBeUndefined();

    provider = await TestOidcProvider.start({ clients: CLIENTS, port });
    const corp: ProviderAccount = { sub: randomUUID(), email: uniqueEmail('late'), emailVerified: true };
    provider.account(corp);
    // The provider answers now; allow the app a moment in case it spaces out its discovery retries.
    let started = await app.http().get('/api/auth/oauth/corp/start');
    for (let attempt = 0; attempt < 25 && !transactionCookieLine(started); attempt++) {
      await sleep(200);
      started = await app.http().get('/api/auth/oauth/corp/start');
    }
    expect(started.status).toBe(303);
    expect(started.headers.location).toMatch(new RegExp(`^${provider.authorizationEndpoint}\\?`));
    const cookie = transactionCookieLine(started)!.split(';')[0];
    const back = await provider.signIn(started.headers.location, corp.sub);
    const answer = await app.http().get(`${back.pathname}${back.search}`).set('Cookie', cookie);
    expect({ status: answer.status, location: answer.headers.location }).toEqual({
      status: 303,
      location: HOME,
    });
    const session = await refresh(app, refreshCookie(answer)!).expect(200);
    expect(session.body.user.email).toBe(corp.email);
  });
});
