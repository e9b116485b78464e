import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Response } from 'supertest';
import {
  decodeJwt,
  LoggedIn,
  login,
  me,
  PASSWORD,
  refresh,
  refreshCookie,
  refreshCookieLine,
  signUp,
  uniqueEmail,
} from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { cookieShape, expectNestError, expectRefused, expectTokens } from './support/expectations';
import { APP_URL, callbackUrl, HOME, oauthFlow, PUBLIC_URL } from './support/oauth-flow';
import { ProviderAccount, TestOidcProvider } from './support/oidc-provider';
import { ServerProcess } from './support/server-process';
import { CreateKnobs, GetKnobs, SoftAuthenticator, WebAuthnError } from './support/soft-authenticator';
import { Env, TestApp } from './support/test-app';
import { enrolTotp } from './support/totp';
import { signUpVerified, verifyAddress } from './support/verified-sign-up';
import { outboxMessages, sentTo } from './support/outbox';

// The page the passkey ceremonies run on: the front end (APP_URL), whose host is the default RP id.
const ORIGIN = APP_URL;
const RP_ID = new URL(APP_URL).hostname;
const CLIENT_ID = 'gatehouse-passkeys-e2e';
const CLIENT_SECRET = 'the corp client secret of the passkey suite';
const ADMIN_PASSWORD = 'the gatehouse administrator passphrase';
const EVENTS = ['passkey.registered', 'passkey.removed', 'passkey.signed_in', 'passkey.failed'];
const PASSKEY_KEYS = ['createdAt', 'id', 'lastUsedAt', 'name'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

interface Passkey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

interface LogEntry {
  level?: number;
  msg?: string;
  securityEvent?: string;
  userId?: string;
  [key: string]: unknown;
}

/** pino's number for `warn`. */
const WARN = 40;

function entriesOf(lines: string[]): LogEntry[] {
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as LogEntry];
    } catch {
      return [];
    }
  });
}

const bearer = (session: { accessToken: string }) => `Bearer ${session.accessToken}`;
const statuses = (answers: Response[]) => answers.map((answer) => answer.status).sort();
/** A challenge the server never issued: as long and as random as a real one. */
const madeUpChallenge = () => randomBytes(32).toString('base64url');
const ADDED_NOTICE = 'A passkey was added to your account';
const REMOVED_NOTICE = 'A passkey was removed from your account';

/** A notice says what changed, and carries no link, token or secret. */
function expectNotice(text: string): void {
  expect(text).toMatch(/passkey/i);
  expect(text).not.toMatch(/#[a-z-]+=|[A-Za-z0-9_-]{43,}/);
}

/** The text of the notices with `subject` the app wrote to `to` in its outbox (no SMTP_URL), once `count` are there. */
async function noticesTo(app: TestApp, to: string, subject: string, count = 1): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const texts = (await outboxMessages(app))
      .filter((mail) => mail.subject === subject && sentTo(to)(mail))
      .map((mail) => mail.text ?? '');
    if (texts.length >= count) return texts;
    if (Date.now() > deadline) throw new Error(`${texts.length} of ${count} "${subject}" notices to ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The passkey routes of one app, driven as a web page at `origin` would drive them with a soft authenticator.
 * Everything secret that goes past (challenges, the credential JSON, signatures, tokens, cookies) is added to
 * `secrets`, for the logs checks.
 */
function passkeyClient(app: () => TestApp, secrets: Set<string>, origin = ORIGIN) {
  function rememberRegistration(credential: RegistrationResponseJSON): void {
    secrets.add(credential.response.clientDataJSON);
    secrets.add(credential.response.attestationObject);
  }
  function rememberAssertion(credential: AuthenticationResponseJSON): void {
    secrets.add(credential.response.clientDataJSON);
    secrets.add(credential.response.signature);
  }
  function rememberTokens(response: Response): void {
    if (typeof response.body?.accessToken === 'string') {
      secrets.add(response.body.accessToken as string);
      secrets.add((response.body.accessToken as string).split('.')[2]);
    }
    const cookie = refreshCookie(response);
    if (cookie) secrets.add(cookie.slice(cookie.indexOf('=') + 1));
  }

  const registrationOptions = (session: { accessToken: string }) =>
    app().http().post('/api/auth/passkeys/register/options').set('Authorization', bearer(session));

  /** The creation options for the signed-in user, checked to be a 200. */
  async function creationOptions(session: {
    accessToken: string;
  }): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const response = await registrationOptions(session);
    if (response.status !== 200)
      throw new Error(`register/options failed: ${response.status} ${JSON.stringify(response.body)}`);
    const options = response.body as PublicKeyCredentialCreationOptionsJSON;
    secrets.add(options.challenge);
    return options;
  }

  const submitRegistration = (session: { accessToken: string }, body: unknown) =>
    app()
      .http()
      .post('/api/auth/passkeys/register')
      .set('Authorization', bearer(session))
      .send(body as object);

  /** Options, the authenticator's answer (with `knobs`), and the registration request: its response. */
  async function attemptRegistration(
    session: { accessToken: string },
    authenticator: SoftAuthenticator,
    knobs: CreateKnobs = {},
    name?: string,
  ): Promise<{ response: Response; credential: RegistrationResponseJSON }> {
    const credential = authenticator.create(await creationOptions(session), origin, knobs);
    rememberRegistration(credential);
    const response = await submitRegistration(
      session,
      name === undefined ? { credential } : { credential, name },
    );
    return { response, credential };
  }

  /** Registers a passkey on `authenticator` for the signed-in user: the passkey the server answered with. */
  async function addPasskey(
    session: { accessToken: string },
    authenticator = new SoftAuthenticator(),
    name?: string,
    knobs: CreateKnobs = {},
  ): Promise<Passkey & { credentialId: string; authenticator: SoftAuthenticator }> {
    const { response, credential } = await attemptRegistration(session, authenticator, knobs, name);
    if (response.status !== 201)
      throw new Error(`passkey registration failed: ${response.status} ${JSON.stringify(response.body)}`);
    return { ...(response.body as Passkey), credentialId: credential.id, authenticator };
  }

  const requestOptions = () => app().http().post('/api/auth/passkeys/login/options');

  async function assertionOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const response = await requestOptions();
    if (response.status !== 200)
      throw new Error(`login/options failed: ${response.status} ${JSON.stringify(response.body)}`);
    const options = response.body as PublicKeyCredentialRequestOptionsJSON;
    secrets.add(options.challenge);
    return options;
  }

  /** Sends an assertion to the sign-in route. */
  async function submitAssertion(
    credential: AuthenticationResponseJSON,
    extra: object = {},
  ): Promise<Response> {
    rememberAssertion(credential);
    const response = await app()
      .http()
      .post('/api/auth/passkeys/login')
      .send({ credential, ...extra });
    rememberTokens(response);
    return response;
  }

  /** Fresh options, the authenticator's assertion (with `knobs`), and the sign-in request. */
  async function signIn(
    authenticator: SoftAuthenticator,
    knobs: GetKnobs = {},
  ): Promise<{ response: Response; credential: AuthenticationResponseJSON }> {
    const credential = authenticator.get(await assertionOptions(), origin, knobs);
    return { response: await submitAssertion(credential), credential };
  }

  /** A passkey sign-in that worked: the session it started. */
  async function signedIn(authenticator: SoftAuthenticator, knobs: GetKnobs = {}): Promise<LoggedIn> {
    const { response } = await signIn(authenticator, knobs);
    if (response.status !== 200)
      throw new Error(`passkey sign-in failed: ${response.status} ${JSON.stringify(response.body)}`);
    return {
      email: response.body.user.email as string,
      userId: response.body.user.id as string,
      accessToken: response.body.accessToken as string,
      cookie: refreshCookie(response)!,
      response,
    };
  }

  const list = (session: { accessToken: string }) =>
    app().http().get('/api/auth/passkeys').set('Authorization', bearer(session));
  const rename = (session: { accessToken: string }, id: string, body: unknown) =>
    app()
      .http()
      .patch(`/api/auth/passkeys/${id}`)
      .set('Authorization', bearer(session))
      .send(body as object);
  const remove = (session: { accessToken: string }, id: string) =>
    app().http().delete(`/api/auth/passkeys/${id}`).set('Authorization', bearer(session));

  return {
    registrationOptions,
    creationOptions,
    submitRegistration,
    attemptRegistration,
    addPasskey,
    requestOptions,
    assertionOptions,
    submitAssertion,
    signIn,
    signedIn,
    list,
    rename,
    remove,
    rememberTokens,
  };
}

function expectPasskey(body: unknown, name: string): void {
  const passkey = body as Passkey;
  expect(Object.keys(passkey).sort()).toEqual(PASSKEY_KEYS);
  expect(passkey.id).toMatch(UUID);
  expect(passkey.name).toBe(name);
  expect(Number.isNaN(Date.parse(passkey.createdAt))).toBe(false);
  expect(Math.abs(Date.parse(passkey.createdAt) - Date.now())).toBeLessThan(60_000);
  expect(passkey.lastUsedAt).toBeNull();
}

describeEachDatabase('passkeys (WebAuthn)', (kind) => {
  const adminEmail = `admin-${randomUUID()}@example.com`;
  let provider: TestOidcProvider;
  let app: TestApp;
  let adminAuthenticator: SoftAuthenticator;
  const secrets = new Set<string>([CLIENT_SECRET]);
  const passkeys = passkeyClient(() => app, secrets);
  const flow = oauthFlow({ app: () => app, provider: 'corp', secrets });

  beforeAll(async () => {
    provider = await TestOidcProvider.start({
      clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [callbackUrl('corp')] }],
    });
    app = await TestApp.start(kind, {
      env: {
        PUBLIC_URL,
        APP_URL,
        OAUTH_PROVIDERS: 'corp',
        OAUTH_CORP_ISSUER: provider.issuer,
        OAUTH_CORP_CLIENT_ID: CLIENT_ID,
        OAUTH_CORP_CLIENT_SECRET: CLIENT_SECRET,
        OAUTH_ALLOW_INSECURE_ISSUERS: 'true',
        ADMIN_EMAIL: adminEmail,
        ADMIN_PASSWORD,
        ADMIN_REQUIRE_MFA: 'true',
        THROTTLE_MFA_LIMIT: '1000',
      },
    });
    // The administrator has a passkey: signed in with it, the admin routes (which demand a second factor) open.
    adminAuthenticator = new SoftAuthenticator();
    await passkeys.addPasskey(
      await login(app, adminEmail, ADMIN_PASSWORD),
      adminAuthenticator,
      'admin laptop',
    );
  });
  afterAll(async () => {
    await app?.stop();
    await provider?.stop();
  });

  /** A new password user, their address verified, with one passkey on an authenticator of their own. */
  async function userWithPasskey(name?: string) {
    const session = await signUpVerified(app);
    const passkey = await passkeys.addPasskey(session, new SoftAuthenticator(), name);
    return { session, passkey, authenticator: passkey.authenticator };
  }

  async function listed(session: { accessToken: string }): Promise<Passkey[]> {
    const response = await passkeys.list(session).expect(200);
    return response.body as Passkey[];
  }

  /** A user made by the OpenID provider on first sign-in: no password, one linked identity. */
  async function providerUser(prefix: string): Promise<LoggedIn> {
    const account: ProviderAccount = {
      sub: `${prefix}-${randomUUID()}`,
      email: uniqueEmail(prefix),
      emailVerified: true,
      name: `${prefix} at Corp`,
    };
    provider.account(account);
    const started = flow.startedFrom(await flow.start());
    const back = await flow.callback(
      await provider.signIn(started.authorizationUrl.toString(), account.sub),
      started.cookie,
    );
    expect({ status: back.status, location: back.headers.location }).toEqual({ status: 303, location: HOME });
    return flow.sessionOf(back);
  }

  const identities = (session: LoggedIn) =>
    app.http().get('/api/auth/identities').set('Authorization', bearer(session));
  const unlink = (session: LoggedIn, id: string) =>
    app.http().delete(`/api/auth/identities/${id}`).set('Authorization', bearer(session));

  /** The log entries written while `action` ran. */
  async function entriesDuring(action: () => Promise<unknown>): Promise<LogEntry[]> {
    const from = app.logs.lines.length;
    await action();
    await new Promise((resolve) => setTimeout(resolve, 20));
    return entriesOf(app.logs.lines.slice(from));
  }

  describe('routes that need a signed-in user', () => {
    it('answer 401 without a bearer token', async () => {
      const id = randomUUID();
      for (const response of [
        await app.http().post('/api/auth/passkeys/register/options'),
        await app.http().post('/api/auth/passkeys/register').send({ credential: {} }),
        await app.http().get('/api/auth/passkeys'),
        await app.http().patch(`/api/auth/passkeys/${id}`).send({ name: 'x' }),
        await app.http().delete(`/api/auth/passkeys/${id}`),
      ]) {
        expectRefused(response, 401);
      }
    });
  });

  describe('POST /api/auth/passkeys/register/options', () => {
    it('answers creation options for a discoverable, user-verified ES256 credential on this RP, not to be cached', async () => {
      const session = await signUpVerified(app);
      const response = await passkeys.registrationOptions(session).expect(200);
      expect(response.headers['cache-control']).toMatch(/no-store/);
      const options = response.body as PublicKeyCredentialCreationOptionsJSON;
      secrets.add(options.challenge);
      expect(options.rp).toEqual({ id: RP_ID, name: 'Gatehouse' });
      expect(options.challenge).toMatch(BASE64URL);
      expect(Buffer.from(options.challenge, 'base64url').length).toBeGreaterThanOrEqual(16);
      expect(options.pubKeyCredParams).toContainEqual({ type: 'public-key', alg: -7 });
      expect(options.authenticatorSelection).toMatchObject({
        residentKey: 'required',
        userVerification: 'required',
      });
      expect(options.excludeCredentials ?? []).toEqual([]);
      expect(typeof options.user.name).toBe('string');
      expect(typeof options.user.displayName).toBe('string');
      // A fresh challenge each time.
      const again = await passkeys.creationOptions(session);
      expect(again.challenge).not.toBe(options.challenge);
    });

    it('answers 403 "email not verified" until the address is proven through the link mailed to it', async () => {
      const session = await signUp(app);
      const refused = await passkeys.registrationOptions(session);
      expectRefused(refused, 403);
      expect(refused.body.message).toBe('email not verified');
      await verifyAddress(app, session.email);
      // The same session, unchanged: only the address had to be proven.
      const { authenticator } = await passkeys.addPasskey(session);
      expect((await passkeys.signedIn(authenticator)).userId).toBe(session.userId);
    });

    it('names the user by a random handle: stable for one user, different between users, never the email or the id', async () => {
      const first = await signUpVerified(app);
      const second = await signUpVerified(app);
      const handle = (await passkeys.creationOptions(first)).user.id;
      expect((await passkeys.creationOptions(first)).user.id).toBe(handle);
      expect((await passkeys.creationOptions(second)).user.id).not.toBe(handle);

      expect(handle).toMatch(BASE64URL);
      const bytes = Buffer.from(handle, 'base64url');
      // WebAuthn: at most 64 bytes, and random enough not to be guessed.
      expect(bytes.length).toBeGreaterThanOrEqual(16);
      expect(bytes.length).toBeLessThanOrEqual(64);
      const compactId = first.userId.replace(/-/g, '');
      for (const seen of [handle, bytes.toString('utf8'), bytes.toString('hex')]) {
        expect(seen.toLowerCase()).not.toContain(first.email.toLowerCase());
        expect(seen.toLowerCase()).not.toContain(first.userId);
        expect(seen.toLowerCase()).not.toContain(compactId);
      }
    });

    it("lists the user's passkeys in excludeCredentials, so the same authenticator is not registered twice", async () => {
      const { session, passkey, authenticator } = await userWithPasskey();
      const options = await passkeys.creationOptions(session);
      expect(options.excludeCredentials?.map((descriptor) => descriptor.id)).toEqual([passkey.credentialId]);
      for (const descriptor of options.excludeCredentials ?? []) expect(descriptor.type).toBe('public-key');
      expect(() => authenticator.create(options, ORIGIN)).toThrow(WebAuthnError);
      // Another authenticator (a phone beside the laptop) can be added, and then both are excluded.
      const phone = await passkeys.addPasskey(session, new SoftAuthenticator(), 'phone');
      const later = await passkeys.creationOptions(session);
      expect(later.excludeCredentials?.map((descriptor) => descriptor.id).sort()).toEqual(
        [passkey.credentialId, phone.credentialId].sort(),
      );
      // Other users' passkeys are no business of this user's options.
      const stranger = await signUpVerified(app);
      expect((await passkeys.creationOptions(stranger)).excludeCredentials ?? []).toEqual([]);
    });

    it('refuses a user with TOTP on whose session lacks the second factor (401 insufficient_user_authentication); after an mfa sign-in it works', async () => {
      const session = await signUpVerified(app);
      const enrolled = await enrolTotp(app, session);
      for (const code of enrolled.recoveryCodes) secrets.add(code);
      secrets.add(enrolled.secret);
      // The session that turned TOTP on is kept, but it proved a password only.
      expect(decodeJwt(session.accessToken).payload.amr).toEqual(['pwd']);
      const refused = await passkeys.registrationOptions(session);
      expectRefused(refused, 401);
      expect(refused.headers['www-authenticate']).toMatch(/^Bearer\b/);
      expect(refused.headers['www-authenticate']).toContain('insufficient_user_authentication');

      const challenged = await app
        .http()
        .post('/api/auth/login')
        .send({ email: session.email, password: PASSWORD });
      expect(challenged.body.mfaRequired).toBe(true);
      secrets.add(challenged.body.mfaToken as string);
      const verified = await app
        .http()
        .post('/api/auth/mfa/verify')
        .send({ mfaToken: challenged.body.mfaToken, code: await enrolled.authenticator.nextCode() })
        .expect(200);
      passkeys.rememberTokens(verified);
      const strong = { accessToken: verified.body.accessToken as string };
      expect(decodeJwt(strong.accessToken).payload.amr).toEqual(['pwd', 'otp', 'mfa']);
      const added = await passkeys.attemptRegistration(strong, new SoftAuthenticator());
      expect(added.response.status).toBe(201);
      expectPasskey(added.response.body, 'Passkey');
    });

    it('refuses the registration itself (401) when TOTP went on after the options were issued to a password-only session', async () => {
      const session = await signUpVerified(app);
      const options = await passkeys.creationOptions(session);
      const enrolled = await enrolTotp(app, session);
      secrets.add(enrolled.secret);
      const credential = new SoftAuthenticator().create(options, ORIGIN);
      const refused = await passkeys.submitRegistration(session, { credential });
      expectRefused(refused, 401);
      expect(refused.headers['www-authenticate']).toContain('insufficient_user_authentication');
      expect(await listed(session)).toEqual([]);
    });
  });

  describe('POST /api/auth/passkeys/register', () => {
    it('stores a good response: 201 {id, name, createdAt, lastUsedAt: null}, named "Passkey" unless told otherwise', async () => {
      const session = await signUpVerified(app);
      const unnamed = await passkeys.attemptRegistration(session, new SoftAuthenticator());
      expect(unnamed.response.status).toBe(201);
      expectPasskey(unnamed.response.body, 'Passkey');
      const named = await passkeys.attemptRegistration(session, new SoftAuthenticator(), {}, 'Work laptop');
      expect(named.response.status).toBe(201);
      expectPasskey(named.response.body, 'Work laptop');
      const all = await listed(session);
      expect(all.map((passkey) => passkey.id).sort()).toEqual(
        [unnamed.response.body.id as string, named.response.body.id as string].sort(),
      );
      // The owner of the address is told of each one.
      const notices = await noticesTo(app, session.email, ADDED_NOTICE, 2);
      for (const text of notices) expectNotice(text);
    });

    it('takes names of 1 to 64 characters and refuses others (400)', async () => {
      const session = await signUpVerified(app);
      for (const name of ['', 'x'.repeat(65), 42, null, ['a']]) {
        const { response } = await passkeys.attemptRegistration(
          session,
          new SoftAuthenticator(),
          {},
          name as string,
        );
        expectRefused(response, 400);
      }
      expect(await listed(session)).toEqual([]);
      for (const name of ['x', 'é'.repeat(64)]) {
        const { response } = await passkeys.attemptRegistration(session, new SoftAuthenticator(), {}, name);
        expect(response.status).toBe(201);
        expectPasskey(response.body, name);
      }
    });

    it('answers 400 to bodies that are not a registration response, never 500', async () => {
      const session = await signUpVerified(app);
      const authenticator = new SoftAuthenticator();
      const good = authenticator.create(await passkeys.creationOptions(session), ORIGIN);
      const bodies: unknown[] = [
        {},
        { credential: null },
        { credential: 'a string' },
        { credential: [] },
        { credential: {} },
        { credential: { ...good, response: {} } },
        { credential: { ...good, response: { ...good.response, attestationObject: 'bm90IGNib3I' } } },
        { credential: { ...good, response: { ...good.response, clientDataJSON: '%%%' } } },
        { credential: { ...good, type: 'password' } },
        { credential: good, extra: true },
      ];
      for (const body of bodies) expectRefused(await passkeys.submitRegistration(session, body), 400);
      expect(await listed(session)).toEqual([]);
    });

    it('answers 400 to a response the authenticator made for another origin, another RP id, or without user verification', async () => {
      const session = await signUpVerified(app);
      const hostile: CreateKnobs[] = [
        { origin: 'https://evil.example' },
        { origin: 'https://app.example.com.evil.example' },
        { rpId: 'evil.example' },
        { userVerified: false },
        { userPresent: false, userVerified: false },
        { type: 'webauthn.get' },
      ];
      for (const knobs of hostile) {
        const { response } = await passkeys.attemptRegistration(session, new SoftAuthenticator(), knobs);
        expect({ knobs, status: response.status }).toEqual({ knobs, status: 400 });
        expectRefused(response, 400);
      }
      expect(await listed(session)).toEqual([]);
    });

    it('answers 400 to a challenge it never issued, and to a challenge used once already', async () => {
      const session = await signUpVerified(app);
      const { response } = await passkeys.attemptRegistration(session, new SoftAuthenticator(), {
        challenge: madeUpChallenge(),
      });
      expectRefused(response, 400);

      // The same options answered by two authenticators: only the first answer is taken.
      const options = await passkeys.creationOptions(session);
      const first = new SoftAuthenticator().create(options, ORIGIN);
      const second = new SoftAuthenticator().create(options, ORIGIN);
      await passkeys.submitRegistration(session, { credential: first }).expect(201);
      expectRefused(await passkeys.submitRegistration(session, { credential: second }), 400);
      // And the very same response, replayed.
      expectRefused(await passkeys.submitRegistration(session, { credential: first }), 400);
      expect(await listed(session)).toHaveLength(1);
    });

    it('answers 400 to a challenge issued to another user', async () => {
      const owner = await signUpVerified(app);
      const intruder = await signUpVerified(app);
      const theirs = new SoftAuthenticator().create(await passkeys.creationOptions(owner), ORIGIN);
      expectRefused(await passkeys.submitRegistration(intruder, { credential: theirs }), 400);
      expect(await listed(intruder)).toEqual([]);
    });

    it('answers 400 to a credential already registered, by the same user or by another one', async () => {
      const { session, passkey, authenticator } = await userWithPasskey();
      const again = await passkeys.attemptRegistration(session, authenticator, {
        existingCredentialId: passkey.credentialId,
      });
      expectRefused(again.response, 400);
      expect(await listed(session)).toHaveLength(1);

      // Someone who got hold of the key cannot attach the credential to their own account.
      const intruder = await signUpVerified(app);
      const stolen = authenticator.clone(passkey.credentialId);
      const hijack = await passkeys.attemptRegistration(intruder, stolen, {
        existingCredentialId: passkey.credentialId,
      });
      expectRefused(hijack.response, 400);
      expect(await listed(intruder)).toEqual([]);
      expect((await passkeys.signedIn(authenticator)).userId).toBe(session.userId);
    });

    it('stores a synced passkey (backed up, counter 0) like any other', async () => {
      const session = await signUpVerified(app);
      const { response } = await passkeys.attemptRegistration(
        session,
        new SoftAuthenticator(),
        { synced: true },
        'iCloud Keychain',
      );
      expect(response.status).toBe(201);
      expectPasskey(response.body, 'iCloud Keychain');
    });
  });

  describe('GET, PATCH and DELETE /api/auth/passkeys', () => {
    it("lists the caller's passkeys only, as {id, name, createdAt, lastUsedAt}", async () => {
      const owner = await signUpVerified(app);
      const laptop = await passkeys.addPasskey(owner, new SoftAuthenticator(), 'laptop');
      const phone = await passkeys.addPasskey(owner, new SoftAuthenticator(), 'phone');
      const stranger = await signUp(app);
      expect(await listed(stranger)).toEqual([]);
      const all = await listed(owner);
      expect(all).toHaveLength(2);
      for (const passkey of all) expect(Object.keys(passkey).sort()).toEqual(PASSKEY_KEYS);
      const byId = new Map(all.map((passkey) => [passkey.id, passkey]));
      expect(byId.get(laptop.id)).toEqual({
        id: laptop.id,
        name: 'laptop',
        createdAt: laptop.createdAt,
        lastUsedAt: null,
      });
      expect(byId.get(phone.id)?.name).toBe('phone');
    });

    it('renames a passkey (200 with the passkey); bad names and bodies are 400', async () => {
      const { session, passkey } = await userWithPasskey('old name');
      const renamed = await passkeys.rename(session, passkey.id, { name: 'new name' }).expect(200);
      expect(renamed.body).toEqual({
        id: passkey.id,
        name: 'new name',
        createdAt: passkey.createdAt,
        lastUsedAt: null,
      });
      expect((await listed(session))[0].name).toBe('new name');
      for (const body of [
        {},
        { name: '' },
        { name: 'x'.repeat(65) },
        { name: null },
        { name: 3 },
        { name: 'ok', id: 'x' },
      ]) {
        expectRefused(await passkeys.rename(session, passkey.id, body), 400);
      }
      expect((await listed(session))[0].name).toBe('new name');
    });

    it('deletes a passkey (204): it is gone from the list and from excludeCredentials, and no longer signs in', async () => {
      const { session, passkey, authenticator } = await userWithPasskey();
      // Sessions on other devices: one signed in with that passkey, one with the password.
      const withPasskey = await passkeys.signedIn(authenticator);
      const elsewhere = await login(app, session.email);
      await passkeys.remove(session, passkey.id).expect(204);
      expect(await listed(session)).toEqual([]);
      expect((await passkeys.creationOptions(session)).excludeCredentials ?? []).toEqual([]);
      expectRefused((await passkeys.signIn(authenticator)).response, 401);
      // Every other session of the user ends, their access tokens too; the caller's own stays.
      for (const other of [withPasskey, elsewhere]) {
        expectRefused(await me(app, other.accessToken), 401);
        await refresh(app, other.cookie).expect(401);
      }
      await me(app, session.accessToken).expect(200);
      const [notice] = await noticesTo(app, session.email, REMOVED_NOTICE);
      expectNotice(notice);
      // The password still works: it was not the last way in.
      await login(app, session.email);
    });

    it("answers 404 to another user's passkey and to a random id, 400 to a malformed id, and leaves the passkey alone", async () => {
      const { session: owner, passkey } = await userWithPasskey('mine');
      const stranger = await signUp(app);
      for (const response of [
        await passkeys.rename(stranger, passkey.id, { name: 'stolen' }),
        await passkeys.remove(stranger, passkey.id),
        await passkeys.rename(stranger, randomUUID(), { name: 'nothing' }),
        await passkeys.remove(stranger, randomUUID()),
      ]) {
        expectRefused(response, 404);
      }
      for (const response of [
        await passkeys.rename(stranger, 'not-a-uuid', { name: 'x' }),
        await passkeys.remove(stranger, 'not-a-uuid'),
      ]) {
        expectRefused(response, 400);
      }
      expect((await listed(owner)).map((p) => p.name)).toEqual(['mine']);
    });
  });

  describe('a recent sign-in (REAUTH_MAX_AGE, default 5 minutes)', () => {
    /** A fresh access token of `session` whose sign-in (auth_time) was `seconds` ago, through a refresh. */
    async function signedInAgo(session: LoggedIn, seconds: number): Promise<{ accessToken: string }> {
      await app.query('UPDATE sessions SET auth_time = auth_time - make_interval(secs => $2) WHERE id = $1', [
        decodeJwt(session.accessToken).payload.sid,
        seconds,
      ]);
      const refreshed = await refresh(app, session.cookie).expect(200);
      passkeys.rememberTokens(refreshed);
      return { accessToken: refreshed.body.accessToken as string };
    }

    function expectTooOld(response: Response): void {
      expectRefused(response, 401);
      const challenge = response.headers['www-authenticate'];
      expect(challenge).toMatch(/^Bearer\b/);
      expect(challenge).toContain('error="insufficient_user_authentication"');
      expect(challenge).toMatch(/error_description="[^"]+"/);
      expect(challenge).toMatch(/max_age=300\b/);
    }

    it('is needed to add or delete a passkey (401 insufficient_user_authentication, max_age=300); reauthenticating with a passkey gives it back', async () => {
      const { session, passkey, authenticator } = await userWithPasskey();
      const stale = await signedInAgo(session, 6 * 60);
      const { auth_time: authTime, sid } = decodeJwt(stale.accessToken).payload;
      expect(authTime as number).toBeLessThanOrEqual(Date.now() / 1000 - 5 * 60);

      expectTooOld(await passkeys.registrationOptions(stale));
      // Options from the earlier token (its sign-in was recent), the registration from the stale one.
      const credential = new SoftAuthenticator().create(await passkeys.creationOptions(session), ORIGIN);
      expectTooOld(await passkeys.submitRegistration(stale, { credential }));
      expectTooOld(await passkeys.remove(stale, passkey.id));
      expect((await listed(stale)).map((kept) => kept.id)).toEqual([passkey.id]);

      // The caller proves it is still them with the passkey they hold: options name the caller's passkeys only.
      const optionsAnswer = await app
        .http()
        .post('/api/auth/reauthenticate/passkey-options')
        .set('Authorization', bearer(stale))
        .expect(200);
      const options = optionsAnswer.body as PublicKeyCredentialRequestOptionsJSON;
      secrets.add(options.challenge);
      expect(options.allowCredentials?.map((allowed) => allowed.id)).toEqual([passkey.credentialId]);
      expect(options.rpId).toBe(RP_ID);
      const assertion = authenticator.get(options, ORIGIN);
      secrets.add(assertion.response.clientDataJSON);
      secrets.add(assertion.response.signature);
      const before = Math.floor(Date.now() / 1000);
      const reauthenticated = await app
        .http()
        .post('/api/auth/reauthenticate')
        .set('Authorization', bearer(stale))
        .send({ credential: assertion })
        .expect(200);
      passkeys.rememberTokens(reauthenticated);
      expect(reauthenticated.body).toMatchObject({ tokenType: 'Bearer', user: { id: session.userId } });
      const fresh = { accessToken: reauthenticated.body.accessToken as string };
      const claims = decodeJwt(fresh.accessToken).payload;
      expect(claims.sid).toBe(sid);
      expect(claims.auth_time as number).toBeGreaterThanOrEqual(before - 1);
      expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'hwk', 'user', 'mfa']));

      await passkeys.remove(fresh, passkey.id).expect(204);
      expect(await listed(fresh)).toEqual([]);
    });
  });

  describe('the last way to sign in', () => {
    it('a provider-made user with a passkey may unlink the provider (204); then the passkey is the last way in and DELETE is 409', async () => {
      const session = await providerUser('unlinking');
      const { id, credentialId, authenticator } = await passkeys.addPasskey(session, new SoftAuthenticator());
      // The identity is a way in too: while it is there, neither is the last.
      const [identity] = (await identities(session).expect(200)).body as { id: string }[];
      await unlink(session, identity.id).expect(204);
      expect((await identities(session).expect(200)).body).toEqual([]);

      const refused = await passkeys.remove(session, id);
      expectRefused(refused, 409);
      expect((await listed(session)).map((passkey) => passkey.id)).toEqual([id]);
      const again = await passkeys.signedIn(authenticator);
      expect(again.userId).toBe(session.userId);
      expect(authenticator.credential(credentialId).rpId).toBe(RP_ID);
    });

    it('a provider-made user keeps the identity when a passkey goes (204), and of two passkeys may delete one but not both', async () => {
      const session = await providerUser('two-keys');
      const first = await passkeys.addPasskey(session, new SoftAuthenticator());
      await passkeys.remove(session, first.id).expect(204);
      const [identity] = (await identities(session).expect(200)).body as { id: string }[];
      // Back to the identity alone: it is the last way in again.
      expectRefused(await unlink(session, identity.id), 409);

      const laptop = await passkeys.addPasskey(session, new SoftAuthenticator(), 'laptop');
      const phone = await passkeys.addPasskey(session, new SoftAuthenticator(), 'phone');
      await unlink(session, identity.id).expect(204);
      await passkeys.remove(session, laptop.id).expect(204);
      expectRefused(await passkeys.remove(session, phone.id), 409);
      expect((await passkeys.signedIn(phone.authenticator)).userId).toBe(session.userId);
    });

    it('two deletions at once of the last two passkeys: one 204 and one 409, never both', async () => {
      const session = await providerUser('racing');
      const laptop = await passkeys.addPasskey(session, new SoftAuthenticator());
      const phone = await passkeys.addPasskey(session, new SoftAuthenticator());
      const [identity] = (await identities(session).expect(200)).body as { id: string }[];
      await unlink(session, identity.id).expect(204);
      const answers = await Promise.all([
        passkeys.remove(session, laptop.id),
        passkeys.remove(session, phone.id),
      ]);
      expect(statuses(answers)).toEqual([204, 409]);
      expect(await listed(session)).toHaveLength(1);
    });

    it('unlinking the identity and deleting the only passkey at once: one 204 and one 409, never both', async () => {
      const session = await providerUser('racing-mixed');
      const passkey = await passkeys.addPasskey(session, new SoftAuthenticator());
      const [identity] = (await identities(session).expect(200)).body as { id: string }[];
      const answers = await Promise.all([unlink(session, identity.id), passkeys.remove(session, passkey.id)]);
      expect(statuses(answers)).toEqual([204, 409]);
      const left =
        ((await identities(session).expect(200)).body as unknown[]).length + (await listed(session)).length;
      expect(left).toBe(1);
    });
  });

  describe('POST /api/auth/passkeys/login/options', () => {
    it('answers request options to anyone: no allowCredentials (no email asked), user verification required, this RP', async () => {
      const response = await passkeys.requestOptions().expect(200);
      const options = response.body as PublicKeyCredentialRequestOptionsJSON;
      secrets.add(options.challenge);
      expect(options.allowCredentials ?? []).toEqual([]);
      expect(options.userVerification).toBe('required');
      expect(options.rpId).toBe(RP_ID);
      expect(options.challenge).toMatch(BASE64URL);
      expect(Buffer.from(options.challenge, 'base64url').length).toBeGreaterThanOrEqual(16);
      expect((await passkeys.assertionOptions()).challenge).not.toBe(options.challenge);
    });
  });

  describe('POST /api/auth/passkeys/login', () => {
    it('signs in exactly as password login does: tokens, the same refresh cookie, no-store; amr hwk+user+mfa and auth_time, kept by a refresh', async () => {
      const { session, authenticator } = await userWithPasskey();
      const before = Math.floor(Date.now() / 1000);
      const { response } = await passkeys.signIn(authenticator);
      const after = Math.ceil(Date.now() / 1000);
      expectTokens(response);
      expect(cookieShape(refreshCookieLine(response)!)).toEqual(
        cookieShape(refreshCookieLine(session.response)!),
      );
      const self = await me(app, response.body.accessToken as string).expect(200);
      expect(response.body.user).toEqual(self.body);
      expect(response.body.user.id).toBe(session.userId);

      const { payload } = decodeJwt(response.body.accessToken as string);
      expect(payload.sub).toBe(session.userId);
      expect(payload.amr).toEqual(['hwk', 'user', 'mfa']);
      expect(Number.isInteger(payload.auth_time)).toBe(true);
      expect(payload.auth_time as number).toBeGreaterThanOrEqual(before - 1);
      expect(payload.auth_time as number).toBeLessThanOrEqual(after + 1);

      const refreshed = await refresh(app, refreshCookie(response)!).expect(200);
      passkeys.rememberTokens(refreshed);
      const renewed = decodeJwt(refreshed.body.accessToken as string).payload;
      expect(renewed.amr).toEqual(['hwk', 'user', 'mfa']);
      expect(renewed.auth_time).toBe(payload.auth_time);
      expect(renewed.sid).toBe(payload.sid);
      // A session of its own, among the user's sessions.
      const sessions = await app
        .http()
        .get('/api/auth/sessions')
        .set('Authorization', bearer({ accessToken: refreshed.body.accessToken as string }))
        .expect(200);
      expect((sessions.body as { id: string }[]).map((s) => s.id)).toContain(payload.sid);
    });

    it('records when the passkey was last used', async () => {
      const { session, passkey, authenticator } = await userWithPasskey();
      const before = Date.now();
      await passkeys.signedIn(authenticator);
      const [used] = await listed(session);
      expect(used.id).toBe(passkey.id);
      expect(used.lastUsedAt).not.toBeNull();
      expect(Date.parse(used.lastUsedAt!)).toBeGreaterThanOrEqual(before - 2000);
      expect(Date.parse(used.lastUsedAt!)).toBeLessThanOrEqual(Date.now() + 2000);
    });

    it('signs each of two passkeys in as their own user', async () => {
      const first = await userWithPasskey();
      const second = await userWithPasskey();
      expect((await passkeys.signedIn(first.authenticator)).userId).toBe(first.session.userId);
      expect((await passkeys.signedIn(second.authenticator)).userId).toBe(second.session.userId);
    });

    it('signs a user with TOTP on in directly: no mfa step', async () => {
      const session = await signUpVerified(app);
      const { authenticator } = await passkeys.addPasskey(session, new SoftAuthenticator());
      const enrolled = await enrolTotp(app, session);
      secrets.add(enrolled.secret);
      const { response } = await passkeys.signIn(authenticator);
      expectTokens(response);
      expect(response.body.mfaRequired).toBeUndefined();
      expect(decodeJwt(response.body.accessToken as string).payload.amr).toEqual(['hwk', 'user', 'mfa']);
    });

    it('satisfies a route that demands a second factor (ADMIN_REQUIRE_MFA=true), after a refresh too', async () => {
      const withPassword = await login(app, adminEmail, ADMIN_PASSWORD);
      const refused = await app.http().get('/api/admin/users').set('Authorization', bearer(withPassword));
      expectRefused(refused, 401);
      expect(refused.headers['www-authenticate']).toContain('error="insufficient_user_authentication"');

      const admin = await passkeys.signedIn(adminAuthenticator);
      const listedUsers = await app
        .http()
        .get('/api/admin/users')
        .set('Authorization', bearer(admin))
        .expect(200);
      expect(Array.isArray(listedUsers.body.items)).toBe(true);
      const refreshed = await refresh(app, admin.cookie).expect(200);
      passkeys.rememberTokens(refreshed);
      await app
        .http()
        .get('/api/admin/users')
        .set('Authorization', bearer({ accessToken: refreshed.body.accessToken as string }))
        .expect(200);
    });

    it('accepts a synced passkey whose counter stays 0', async () => {
      const session = await signUpVerified(app);
      const synced = await passkeys.addPasskey(session, new SoftAuthenticator(), 'synced', { synced: true });
      for (let i = 0; i < 3; i++) {
        const { response } = await passkeys.signIn(synced.authenticator);
        expectTokens(response);
        expect(response.body.user.id).toBe(session.userId);
      }
      expect(synced.authenticator.credential(synced.credentialId).counter).toBe(0);
    });

    it('answers 401 to a credential it does not know', async () => {
      const session = await signUpVerified(app);
      // Made against real options, never sent: the server has no such credential.
      const unknown = new SoftAuthenticator();
      unknown.create(await passkeys.creationOptions(session), ORIGIN);
      expectRefused((await passkeys.signIn(unknown)).response, 401);
    });

    it('answers 401 to a bad signature, and to no user verification, and takes the right assertion afterwards', async () => {
      const { authenticator } = await userWithPasskey();
      expectRefused((await passkeys.signIn(authenticator, { tamperSignature: true })).response, 401);
      expectRefused((await passkeys.signIn(authenticator, { userVerified: false })).response, 401);
      expectRefused(
        (await passkeys.signIn(authenticator, { userPresent: false, userVerified: false })).response,
        401,
      );
      expectTokens((await passkeys.signIn(authenticator)).response);
    });

    it('answers 401 to another origin, another RP id, and a registration-type assertion', async () => {
      const { authenticator } = await userWithPasskey();
      const hostile: GetKnobs[] = [
        { origin: 'https://evil.example' },
        { origin: 'http://app.example.com' },
        { rpId: 'evil.example' },
        { type: 'webauthn.create' },
      ];
      for (const knobs of hostile) {
        const { response } = await passkeys.signIn(authenticator, knobs);
        expect({ knobs, status: response.status }).toEqual({ knobs, status: 401 });
        expectRefused(response, 401);
      }
    });

    it('answers 401 to a challenge it never issued, and to a replayed assertion', async () => {
      const { authenticator } = await userWithPasskey();
      const madeUp = authenticator.get({ challenge: madeUpChallenge(), rpId: RP_ID }, ORIGIN);
      expectRefused(await passkeys.submitAssertion(madeUp), 401);

      const { response, credential } = await passkeys.signIn(authenticator);
      expectTokens(response);
      expectRefused(await passkeys.submitAssertion(credential), 401);
      // A second, honest assertion on the used challenge (the counter has moved on): still refused.
      const options = {
        challenge: JSON.parse(Buffer.from(credential.response.clientDataJSON, 'base64url').toString())
          .challenge as string,
        rpId: RP_ID,
      };
      expectRefused(await passkeys.submitAssertion(authenticator.get(options, ORIGIN)), 401);
    });

    it('answers 401 to a challenge older than 5 minutes', async () => {
      const { authenticator } = await userWithPasskey();
      const options = await passkeys.assertionOptions();
      await ageChallenges(app, 5 * 60 + 1);
      expectRefused(await passkeys.submitAssertion(authenticator.get(options, ORIGIN)), 401);
      expectTokens((await passkeys.signIn(authenticator)).response);
    });

    it('takes one assertion sent twice at once exactly once', async () => {
      const { authenticator } = await userWithPasskey();
      const credential = authenticator.get(await passkeys.assertionOptions(), ORIGIN);
      const answers = await Promise.all([
        passkeys.submitAssertion(credential),
        passkeys.submitAssertion(credential),
      ]);
      expect(statuses(answers)).toEqual([200, 401]);
      expect(answers.filter((answer) => refreshCookie(answer) !== undefined)).toHaveLength(1);
    });

    it('refuses a cloned authenticator whose counter falls behind (401, passkey.failed), and a counter that goes backwards', async () => {
      const { session, passkey, authenticator } = await userWithPasskey();
      await passkeys.signedIn(authenticator);
      const clone = authenticator.clone(passkey.credentialId);
      // The genuine authenticator is used again; the copy then reports a counter the server has already seen.
      await passkeys.signedIn(authenticator);
      let refused: Response | undefined;
      const entries = await entriesDuring(async () => {
        refused = (await passkeys.signIn(clone)).response;
      });
      expectRefused(refused!, 401);
      const failed = entries.filter((entry) => entry.securityEvent === 'passkey.failed');
      expect(failed).toHaveLength(1);
      expect(failed[0].userId).toBe(session.userId);
      expect(entries.filter((entry) => entry.securityEvent === 'passkey.signed_in')).toEqual([]);

      const other = await userWithPasskey();
      for (let i = 0; i < 3; i++) await passkeys.signedIn(other.authenticator);
      expectRefused((await passkeys.signIn(other.authenticator, { counter: 1 })).response, 401);
    });

    it('answers 401 to a disabled user, and signs them in again once enabled', async () => {
      const { session, authenticator } = await userWithPasskey();
      const admin = await passkeys.signedIn(adminAuthenticator);
      await app
        .http()
        .post(`/api/admin/users/${session.userId}/disable`)
        .set('Authorization', bearer(admin))
        .expect(204);
      expectRefused((await passkeys.signIn(authenticator)).response, 401);
      await app
        .http()
        .post(`/api/admin/users/${session.userId}/enable`)
        .set('Authorization', bearer(admin))
        .expect(204);
      expect((await passkeys.signedIn(authenticator)).userId).toBe(session.userId);
    });

    it("answers 401 when the user handle is not the credential's user", async () => {
      const victim = await signUpVerified(app);
      const victimHandle = (await passkeys.creationOptions(victim)).user.id;
      const { session, authenticator } = await userWithPasskey();
      const { response } = await passkeys.signIn(authenticator, { userHandle: victimHandle });
      expectRefused(response, 401);
      expect((await passkeys.signedIn(authenticator)).userId).toBe(session.userId);
    });

    it('answers 400 to bodies that are not an assertion, never 500', async () => {
      const { authenticator } = await userWithPasskey();
      const good = authenticator.get(await passkeys.assertionOptions(), ORIGIN);
      for (const body of [
        {},
        { credential: null },
        { credential: 'x' },
        { credential: [] },
        { credential: good, extra: 1 },
      ]) {
        expectRefused(await app.http().post('/api/auth/passkeys/login').send(body), 400);
      }
      // Structurally broken assertions: refused, never a server error.
      for (const credential of [
        {},
        { ...good, response: {} },
        { ...good, response: { ...good.response, authenticatorData: 'AAAA' } },
        { ...good, response: { ...good.response, signature: '' } },
        { ...good, id: 'not base64url!', rawId: 'not base64url!' },
      ]) {
        const response = await app.http().post('/api/auth/passkeys/login').send({ credential });
        expect([400, 401]).toContain(response.status);
        expectRefused(response, response.status);
      }
    });

    it('refuses a foreign Origin and Sec-Fetch-Site: cross-site (403), and takes the same assertion afterwards', async () => {
      const { authenticator } = await userWithPasskey();
      const credential = authenticator.get(await passkeys.assertionOptions(), ORIGIN);
      const send = () => app.http().post('/api/auth/passkeys/login').send({ credential });
      expectRefused(await send().set('Origin', 'https://evil.example'), 403);
      expectRefused(await send().set('Sec-Fetch-Site', 'cross-site'), 403);
      const answer = await send().set('Sec-Fetch-Site', 'same-origin');
      passkeys.rememberTokens(answer);
      expectTokens(answer);
    });
  });

  describe('the OpenAPI document', () => {
    it('describes every passkey route', async () => {
      const doc = await app.http().get('/api/docs-json').expect(200);
      const paths = doc.body.paths as Record<string, Record<string, unknown>>;
      const routes = Object.entries(paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      );
      for (const route of [
        'POST /api/auth/passkeys/register/options',
        'POST /api/auth/passkeys/register',
        'GET /api/auth/passkeys',
        'PATCH /api/auth/passkeys/{id}',
        'DELETE /api/auth/passkeys/{id}',
        'POST /api/auth/passkeys/login/options',
        'POST /api/auth/passkeys/login',
      ]) {
        expect(routes).toContain(route);
      }
    });
  });

  describe('logs', () => {
    it('record passkey.registered, passkey.removed, passkey.signed_in and passkey.failed with the user', () => {
      const events = entriesOf(app.logs.lines).filter((entry) => EVENTS.includes(entry.securityEvent ?? ''));
      for (const name of EVENTS) {
        const named = events.filter((entry) => entry.securityEvent === name);
        expect({ name, seen: named.length > 0 }).toEqual({ name, seen: true });
        // A failure may come before anyone is known (an unknown credential); the others always name the user.
        const withUser = named.filter((entry) => typeof entry.userId === 'string');
        if (name === 'passkey.failed') expect(withUser.length).toBeGreaterThan(0);
        else expect(withUser).toHaveLength(named.length);
        for (const entry of withUser) expect(entry.userId).toMatch(UUID);
      }
      // A change is recorded once committed, with the session that made it and where it came from.
      for (const entry of events.filter((e) =>
        ['passkey.registered', 'passkey.removed'].includes(e.securityEvent!),
      )) {
        expect(entry.sessionId).toMatch(UUID);
        expect(typeof entry.ip).toBe('string');
        if (entry.securityEvent === 'passkey.removed') expect(entry.passkeyId).toMatch(UUID);
      }
    });

    it('never contain the credential JSON, a signature, a challenge, a token or a cookie value', () => {
      expect(secrets.size).toBeGreaterThan(50);
      const text = app.logs.lines.join('\n');
      const leaked = [...secrets].filter((secret) => secret.length >= 16 && text.includes(secret));
      expect(leaked).toEqual([]);
    });
  });

  // Last: the app is restarted with another setting.
  describe('REQUIRE_EMAIL_VERIFICATION=true', () => {
    let unverified: SoftAuthenticator;
    let verified: { userId: string; authenticator: SoftAuthenticator };

    beforeAll(async () => {
      // A passkey can no longer be added before the address is proven, but an account that got one before that
      // rule may still hold it with its address unverified: made here by clearing the verification.
      const legacy = await userWithPasskey();
      await app.query('UPDATE users SET email_verified_at = NULL WHERE id = $1', [legacy.session.userId]);
      unverified = legacy.authenticator;
      const session = await providerUser('verified');
      verified = {
        userId: session.userId,
        authenticator: (await passkeys.addPasskey(session, new SoftAuthenticator())).authenticator,
      };
      await app.restart({ REQUIRE_EMAIL_VERIFICATION: 'true' });
    });

    it('refuses a passkey of a user whose email is not verified as password login does (403), and signs a verified one in', async () => {
      const refused = (await passkeys.signIn(unverified)).response;
      expectRefused(refused, 403);
      expect(refused.body.message).toBe('email not verified');
      expect((await passkeys.signedIn(verified.authenticator)).userId).toBe(verified.userId);
    });
  });
});

/** Moves every stored passkey challenge `seconds` into the past, as if it had been issued that long ago. */
async function ageChallenges(app: TestApp, seconds: number): Promise<void> {
  await app.query(
    `UPDATE webauthn_challenges SET created_at = created_at - make_interval(secs => $1),
                                   expires_at = expires_at - make_interval(secs => $1)`,
    [seconds],
  );
}

describeEachDatabase('passkeys: the login rate limit on login/options', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind, {
      env: { APP_URL, PUBLIC_URL, THROTTLE_LOGIN_LIMIT: '3', THROTTLE_LOGIN_TTL: '60', TRUST_PROXY: 'true' },
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const optionsFrom = (address: string) =>
    app.http().post('/api/auth/passkeys/login/options').set('X-Forwarded-For', address);

  it('answers 429 with Retry-After when one address asks too often; another address is not held back', async () => {
    for (let i = 0; i < 3; i++) await optionsFrom('203.0.113.7').expect(200);
    const throttled = await optionsFrom('203.0.113.7');
    expect(throttled.status).toBe(429);
    expectNestError(throttled.body, 429);
    expect(throttled.headers['retry-after']).toMatch(/^\d+$/);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(60);
    await optionsFrom('203.0.113.8').expect(200);
  });
});

describeEachDatabase('passkeys: RP id and origins from the settings', (kind) => {
  const secrets = new Set<string>();

  describe('defaults with APP_URL=http://localhost:<port>', () => {
    const local = 'http://localhost:4998';
    let app: TestApp;
    const passkeys = passkeyClient(() => app, secrets, local);

    beforeAll(async () => {
      app = await TestApp.start(kind, {
        env: { APP_URL: local, PUBLIC_URL: local, WEBAUTHN_RP_NAME: 'Acme Login' },
      });
    });
    afterAll(async () => {
      await app?.stop();
    });

    it('uses localhost as the RP id, the configured RP name, and takes ceremonies on that origin', async () => {
      const session = await signUpVerified(app);
      const options = await passkeys.creationOptions(session);
      expect(options.rp).toEqual({ id: 'localhost', name: 'Acme Login' });
      expect((await passkeys.assertionOptions()).rpId).toBe('localhost');
      const { authenticator } = await passkeys.addPasskey(session);
      expect((await passkeys.signedIn(authenticator)).userId).toBe(session.userId);
    });
  });

  describe('WEBAUTHN_RP_ID=example.com and WEBAUTHN_ORIGINS=https://login.example.com', () => {
    let app: TestApp;
    const atLogin = passkeyClient(() => app, secrets, 'https://login.example.com');
    const front = passkeyClient(() => app, secrets, APP_URL);

    beforeAll(async () => {
      app = await TestApp.start(kind, {
        env: {
          APP_URL,
          PUBLIC_URL,
          WEBAUTHN_RP_ID: 'example.com',
          WEBAUTHN_ORIGINS: 'https://login.example.com',
        },
      });
    });
    afterAll(async () => {
      await app?.stop();
    });

    it('uses the RP id given, and accepts the listed origins only: not APP_URL once origins are set', async () => {
      const session = await signUpVerified(app);
      const options = await atLogin.creationOptions(session);
      expect(options.rp.id).toBe('example.com');
      expect((await atLogin.assertionOptions()).rpId).toBe('example.com');

      // app.example.com may use the RP id example.com, but it is not among the origins now.
      const refused = await front.attemptRegistration(session, new SoftAuthenticator());
      expectRefused(refused.response, 400);

      const { authenticator } = await atLogin.addPasskey(session);
      expectRefused((await front.signIn(authenticator)).response, 401);
      expect((await atLogin.signedIn(authenticator)).userId).toBe(session.userId);
    });
  });

  describe('APP_URL=http://127.0.0.1:<port> and no WEBAUTHN_RP_ID', () => {
    let app: TestApp;

    beforeAll(async () => {
      app = await TestApp.start(kind, { env: { APP_URL: 'http://127.0.0.1:4997' } });
    });
    afterAll(async () => {
      await app?.stop();
    });

    it('turns passkeys off (404) with a warning saying why, and the rest of the app works', async () => {
      const session = await signUp(app);
      expectRefused(await app.http().post('/api/auth/passkeys/login/options'), 404);
      expectRefused(
        await app.http().post('/api/auth/passkeys/register/options').set('Authorization', bearer(session)),
        404,
      );
      const warnings = entriesOf(app.logs.lines).filter(
        (entry) => (entry.level ?? 0) >= WARN && /WEBAUTHN_RP_ID/.test(JSON.stringify(entry)),
      );
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(warnings[0])).toMatch(/passkey|webauthn/i);
      expect(JSON.stringify(warnings[0])).toMatch(/127\.0\.0\.1|IP/);
      await me(app, session.accessToken).expect(200);
    });
  });
});

describe('passkeys: WEBAUTHN_RP_ID=127.0.0.1 stops the start', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-passkeys-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('exits 1 with a message naming WEBAUTHN_RP_ID: an IP address is never an RP id', async () => {
    const env: Env = {
      PORT: '0',
      DATA_DIR: dataDir,
      NODE_ENV: 'test',
      APP_URL: 'http://127.0.0.1:4996',
      WEBAUTHN_RP_ID: '127.0.0.1',
    };
    const server = await ServerProcess.start(env);
    // A start that wrongly succeeds is killed here, and fails the test.
    const giveUp = setTimeout(() => server.signal('SIGKILL'), 45_000);
    const { code } = await server.exited;
    clearTimeout(giveUp);
    expect(code).toBe(1);
    expect(server.text).toMatch(/Gatehouse failed to start: .*WEBAUTHN_RP_ID/);
  }, 60_000);
});
