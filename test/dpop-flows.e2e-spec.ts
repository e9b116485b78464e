// Over 400 lines: each describe starts its own app (settings differ), and the helpers they share would otherwise
// be a support module used by this suite alone.
import { randomUUID } from 'node:crypto';
import { Response } from 'supertest';
import { decodeJwt, PASSWORD, refreshCookie, register, uniqueEmail } from './support/auth-client';
import { DatabaseKind, describeEachDatabase, redisUrl } from './support/databases';
import { DpopKey, ProofOptions } from './support/dpop-key';
import { APP_URL, callbackUrl, oauthFlow, PUBLIC_URL } from './support/oauth-flow';
import { TestOidcProvider } from './support/oidc-provider';
import { SoftAuthenticator } from './support/soft-authenticator';
import { Env, TestApp } from './support/test-app';
import { enrolTotp } from './support/totp';
import { signUpVerified } from './support/verified-sign-up';

const url = (path: string) => `${PUBLIC_URL}${path}`;
const CLIENT_ID = 'gatehouse-dpop-e2e';
const CLIENT_SECRET = 'the corp client secret of the DPoP flows suite';

function oauthEnv(issuer: string): Env {
  return {
    APP_URL,
    OAUTH_PROVIDERS: 'corp',
    OAUTH_CORP_ISSUER: issuer,
    OAUTH_CORP_CLIENT_ID: CLIENT_ID,
    OAUTH_CORP_CLIENT_SECRET: CLIENT_SECRET,
    OAUTH_CORP_NAME: 'Corp',
    OAUTH_ALLOW_INSECURE_ISSUERS: 'true',
  };
}

/** A proof by `key` for `method` on the app's `path`, as reached through PUBLIC_URL. */
const proof = (key: DpopKey, method: string, path: string, options: ProofOptions = {}) =>
  key.proof(method, url(path), options);

/** The answer started a session bound to `key`: tokenType DPoP, and the access token's cnf names its thumbprint. */
function expectBoundTo(response: Response, key: DpopKey): void {
  expect({ status: response.status, tokenType: response.body.tokenType }).toEqual({
    status: 200,
    tokenType: 'DPoP',
  });
  expect(decodeJwt(response.body.accessToken as string).payload.cnf).toEqual({ jkt: key.jkt });
}

function expectBearer(response: Response): void {
  expect({ status: response.status, tokenType: response.body.tokenType }).toEqual({
    status: 200,
    tokenType: 'Bearer',
  });
  expect(decodeJwt(response.body.accessToken as string).payload.cnf).toBeUndefined();
}

function expectDpopError(response: Response, status: 400 | 401, error: string): void {
  expect({ status: response.status, error: response.body.error }).toEqual({ status, error });
  expect(String(response.headers['www-authenticate'])).toMatch(new RegExp(`^DPoP .*error="${error}"`));
}

/** Cookie and body both checked: the refresh token went to exactly one place. */
function expectTokenInBody(response: Response): string {
  expect(refreshCookie(response)).toBeUndefined();
  expect(typeof response.body.refreshToken).toBe('string');
  return response.body.refreshToken as string;
}

function expectTokenInCookie(response: Response): string {
  expect(response.body.refreshToken).toBeUndefined();
  const cookie = refreshCookie(response);
  expect(cookie).toBeDefined();
  return cookie!;
}

/** Requests against one app, with or without a proof. */
function client(app: () => TestApp) {
  const login = async (email: string, key?: DpopKey, body: object = {}, options: ProofOptions = {}) => {
    const request = app().http().post('/api/auth/login');
    if (key) request.set('DPoP', await proof(key, 'POST', '/api/auth/login', options));
    return request.send({ email, password: PASSWORD, ...body });
  };
  const refreshByCookie = async (cookie: string, key?: DpopKey, options: ProofOptions = {}) => {
    const request = app().http().post('/api/auth/refresh').set('Cookie', cookie);
    if (key) request.set('DPoP', await proof(key, 'POST', '/api/auth/refresh', options));
    return request;
  };
  const withBody = async (path: string, refreshToken: string, key?: DpopKey, headers: Env = {}) => {
    const request = app().http().post(path);
    if (key) request.set('DPoP', await proof(key, 'POST', path));
    for (const [name, value] of Object.entries(headers)) request.set(name, value!);
    return request.send({ refreshToken });
  };
  const me = async (accessToken: string, key: DpopKey, options: ProofOptions = {}) =>
    app()
      .http()
      .get('/api/users/me')
      .set('Authorization', `DPoP ${accessToken}`)
      .set('DPoP', await proof(key, 'GET', '/api/users/me', { accessToken, ...options }));
  const newUser = async (prefix: string) => {
    const email = uniqueEmail(prefix);
    await register(app(), email);
    return email;
  };
  return { login, refreshByCookie, withBody, me, newUser };
}

describeEachDatabase(
  'DPoP at every way in, for native clients, and across instances',
  (kind: DatabaseKind) => {
    describe('the ways in and native clients', () => {
      let provider: TestOidcProvider;
      let app: TestApp;
      const { login, refreshByCookie, withBody, me, newUser } = client(() => app);
      const { startedFrom, callback } = oauthFlow({ app: () => app, provider: 'corp', secrets: new Set() });

      beforeAll(async () => {
        provider = await TestOidcProvider.start({
          clients: [
            { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [callbackUrl('corp')] },
          ],
        });
        app = await TestApp.start(kind, {
          // No grace: an old refresh token is reuse at once, without waiting ten seconds.
          env: { ...oauthEnv(provider.issuer), PUBLIC_URL, REFRESH_REUSE_GRACE_SECONDS: '0' },
        });
      });
      afterAll(async () => {
        await app?.stop();
        await provider?.stop();
      });

      /** The refresh cookie answers only to `key`, and its tokens stay bound. */
      async function expectCookieBoundTo(cookie: string, key: DpopKey): Promise<void> {
        expectDpopError(await refreshByCookie(cookie), 401, 'invalid_dpop_proof');
        expectDpopError(await refreshByCookie(cookie, await DpopKey.generate()), 401, 'invalid_dpop_proof');
        const refreshed = await refreshByCookie(cookie, key);
        expectBoundTo(refreshed, key);
        expect((await me(refreshed.body.accessToken as string, key)).status).toBe(200);
      }

      describe('binding at every way in', () => {
        it('mfa/verify with a proof binds the session the password began', async () => {
          const user = await signUpVerified(app, uniqueEmail('dpop-mfa'));
          const { authenticator } = await enrolTotp(app, user);
          const challenge = await login(user.email);
          expect(challenge.status).toBe(200);
          expect(challenge.body.mfaRequired).toBe(true);
          expect(refreshCookie(challenge)).toBeUndefined();

          const key = await DpopKey.generate();
          const verified = await app
            .http()
            .post('/api/auth/mfa/verify')
            .set('DPoP', await proof(key, 'POST', '/api/auth/mfa/verify'))
            .send({ mfaToken: challenge.body.mfaToken, code: await authenticator.nextCode() });
          expectBoundTo(verified, key);
          await expectCookieBoundTo(refreshCookie(verified)!, key);
        });

        it('mfa/verify answers a native client’s refreshTokenInBody in the body, like login', async () => {
          const user = await signUpVerified(app, uniqueEmail('dpop-mfa-native'));
          const { authenticator } = await enrolTotp(app, user);
          const challenge = await login(user.email, undefined, { refreshTokenInBody: true });
          expect(challenge.body.mfaRequired).toBe(true);
          const key = await DpopKey.generate();
          const verified = await app
            .http()
            .post('/api/auth/mfa/verify')
            .set('DPoP', await proof(key, 'POST', '/api/auth/mfa/verify'))
            .send({
              mfaToken: challenge.body.mfaToken,
              code: await authenticator.nextCode(),
              refreshTokenInBody: true,
            });
          expectBoundTo(verified, key);
          const token = expectTokenInBody(verified);
          expectBoundTo(await withBody('/api/auth/refresh', token, key), key);
        });

        it('passkeys/login with a proof binds the session', async () => {
          const user = await signUpVerified(app, uniqueEmail('dpop-passkey'));
          const bearer = `Bearer ${user.accessToken}`;
          const authenticator = new SoftAuthenticator();
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

          const request = await app.http().post('/api/auth/passkeys/login/options').expect(200);
          const key = await DpopKey.generate();
          const signedIn = await app
            .http()
            .post('/api/auth/passkeys/login')
            .set('DPoP', await proof(key, 'POST', '/api/auth/passkeys/login'))
            .send({ credential: authenticator.get(request.body, APP_URL) });
          expectBoundTo(signedIn, key);
          expect(signedIn.body.user.id).toBe(user.userId);
          await expectCookieBoundTo(refreshCookie(signedIn)!, key);
        });

        /** Start (with `query`), sign in at the provider as a new account, come back: the refresh cookie. */
        async function oauthSignIn(query = ''): Promise<string> {
          const sub = `dpop-${randomUUID()}`;
          provider.account({ sub, email: uniqueEmail('dpop-oauth'), emailVerified: true });
          const started = startedFrom(await app.http().get(`/api/auth/oauth/corp/start${query}`));
          const back = await callback(
            await provider.signIn(started.authorizationUrl.toString(), sub),
            started.cookie,
          );
          expect(back.status).toBe(303);
          expect(back.headers.location).not.toContain('oauth_error');
          return refreshCookie(back)!;
        }

        it('OAuth started with dpop_jkt binds the session to that key from its first token', async () => {
          const key = await DpopKey.generate();
          const cookie = await oauthSignIn(`?dpop_jkt=${key.jkt}`);
          expect(cookie).toBeDefined();
          await expectCookieBoundTo(cookie, key);
        });

        it('OAuth started without dpop_jkt stays bearer until its first refresh with a proof, which binds it', async () => {
          const cookie = await oauthSignIn();
          const plain = await refreshByCookie(cookie);
          expectBearer(plain);

          const key = await DpopKey.generate();
          const binding = await refreshByCookie(refreshCookie(plain)!, key);
          expectBoundTo(binding, key);
          expect(app.logs.lines.some((line) => line.includes('"dpop.bound"') && line.includes(key.jkt))).toBe(
            true,
          );
          // From now on it is a bound session: no refresh without the key, nor with another one.
          await expectCookieBoundTo(refreshCookie(binding)!, key);
        });

        it('a password session begun without a proof is not bound by a later refresh with one', async () => {
          const email = await newUser('dpop-plain');
          const plain = await login(email);
          expectBearer(plain);
          const key = await DpopKey.generate();
          const refreshed = await refreshByCookie(refreshCookie(plain)!, key);
          expectBearer(refreshed);
          expectBearer(await refreshByCookie(refreshCookie(refreshed)!));
        });
      });

      describe('native clients: the refresh token in the body', () => {
        async function nativeLogin(key: DpopKey) {
          const response = await login(await newUser('native'), key, { refreshTokenInBody: true });
          expectBoundTo(response, key);
          return {
            accessToken: response.body.accessToken as string,
            refreshToken: expectTokenInBody(response),
          };
        }

        it('rotates {refreshToken} with a proof, in the body and never in a cookie; refuses it without one', async () => {
          const key = await DpopKey.generate();
          const session = await nativeLogin(key);

          expectDpopError(
            await withBody('/api/auth/refresh', session.refreshToken),
            401,
            'invalid_dpop_proof',
          );
          expectDpopError(
            await withBody('/api/auth/refresh', session.refreshToken, await DpopKey.generate()),
            401,
            'invalid_dpop_proof',
          );
          // Those refusals revoked nothing.
          const rotated = await withBody('/api/auth/refresh', session.refreshToken, key);
          expectBoundTo(rotated, key);
          const next = expectTokenInBody(rotated);
          expect(next).not.toBe(session.refreshToken);
          expectBoundTo(await withBody('/api/auth/refresh', next, key), key);
        });

        it('treats an old body token as reuse: the family is revoked', async () => {
          const key = await DpopKey.generate();
          const session = await nativeLogin(key);
          const rotated = await withBody('/api/auth/refresh', session.refreshToken, key);
          const live = expectTokenInBody(rotated);

          expect((await withBody('/api/auth/refresh', session.refreshToken, key)).status).toBe(401);
          expect((await withBody('/api/auth/refresh', live, key)).status).toBe(401);
          expect((await me(rotated.body.accessToken as string, key)).status).toBe(401);
        });

        it('logs out with {refreshToken} and a proof by the key, and only so', async () => {
          const key = await DpopKey.generate();
          const session = await nativeLogin(key);
          expectDpopError(
            await withBody('/api/auth/logout', session.refreshToken),
            401,
            'invalid_dpop_proof',
          );
          expect((await me(session.accessToken, key)).status).toBe(200);

          const out = await withBody('/api/auth/logout', session.refreshToken, key);
          expect(out.status).toBe(204);
          expect((await me(session.accessToken, key)).status).toBe(401);
          expect((await withBody('/api/auth/refresh', session.refreshToken, key)).status).toBe(401);
        });

        it('gives a request that looks like a browser’s a cookie, never a body token', async () => {
          for (const [name, value] of [
            ['Origin', PUBLIC_URL],
            ['Sec-Fetch-Site', 'same-origin'],
          ]) {
            const key = await DpopKey.generate();
            const request = app.http().post('/api/auth/login').set(name, value);
            const response = await request
              .set('DPoP', await proof(key, 'POST', '/api/auth/login'))
              .send({ email: await newUser('browser-like'), password: PASSWORD, refreshTokenInBody: true });
            expect({ header: name, status: response.status }).toEqual({ header: name, status: 200 });
            expectBoundTo(response, key);
            expectTokenInCookie(response);
          }
        });

        it('takes no body token from a request that looks like a browser’s', async () => {
          const key = await DpopKey.generate();
          const session = await nativeLogin(key);
          const fromPage = await withBody('/api/auth/refresh', session.refreshToken, key, {
            Origin: PUBLIC_URL,
          });
          expect(fromPage.status).toBe(401);
          expect(fromPage.body.refreshToken).toBeUndefined();
          // The native client's token was not spent by it.
          expectBoundTo(await withBody('/api/auth/refresh', session.refreshToken, key), key);
        });

        it('answers refreshTokenInBody without a proof with a cookie: a bearer token is never handed out in a body', async () => {
          const response = await login(await newUser('native-bearer'), undefined, {
            refreshTokenInBody: true,
          });
          expectBearer(response);
          expectTokenInCookie(response);
        });

        it('refuses the body token of an unbound session, with or without a proof, and ends nothing', async () => {
          const response = await login(await newUser('unbound'));
          expectBearer(response);
          const cookie = expectTokenInCookie(response);
          const token = cookie.slice(cookie.indexOf('=') + 1);

          expect((await withBody('/api/auth/refresh', token)).status).toBe(401);
          const withProof = await withBody('/api/auth/refresh', token, await DpopKey.generate());
          expect(withProof.status).toBe(401);
          expect(withProof.body.refreshToken).toBeUndefined();
          expect((await withBody('/api/auth/logout', token)).status).toBe(204);
          // Neither bound nor ended: its cookie still refreshes, as a bearer session.
          expectBearer(await refreshByCookie(cookie));
        });
      });

      describe('the OpenAPI document', () => {
        it('lists dpop_jkt on the OAuth start, refreshTokenInBody on the ways in, refreshToken on refresh and logout', async () => {
          const doc = (await app.http().get('/api/docs-json').expect(200)).body;
          const schemaOf = (path: string) => {
            const ref = doc.paths[path].post.requestBody.content['application/json'].schema.$ref as string;
            return doc.components.schemas[ref.split('/').pop()!];
          };
          const startParameters = doc.paths['/api/auth/oauth/{provider}/start'].get.parameters as {
            name: string;
            in: string;
          }[];
          expect(startParameters).toContainEqual(expect.objectContaining({ name: 'dpop_jkt', in: 'query' }));
          for (const path of ['/api/auth/login', '/api/auth/mfa/verify', '/api/auth/passkeys/login']) {
            expect({ path, field: schemaOf(path).properties.refreshTokenInBody?.type }).toEqual({
              path,
              field: 'boolean',
            });
          }
          for (const path of ['/api/auth/refresh', '/api/auth/logout']) {
            expect({ path, field: schemaOf(path).properties.refreshToken?.type }).toEqual({
              path,
              field: 'string',
            });
          }
          const tokens = doc.components.schemas.TokenResponseDto;
          expect(tokens.properties.refreshToken.type).toBe('string');
          expect(tokens.properties.tokenType.enum).toEqual(expect.arrayContaining(['Bearer', 'DPoP']));
        });
      });
    });

    describe('DPOP=required', () => {
      let app: TestApp;
      const { login, newUser } = client(() => app);
      beforeAll(async () => {
        app = await TestApp.start(kind, { env: { PUBLIC_URL, DPOP: 'required' } });
      });
      afterAll(async () => {
        await app?.stop();
      });

      it('refuses a login without a proof (400 invalid_dpop_proof) and binds one with', async () => {
        const email = await newUser('required');
        const bare = await login(email);
        expect({ status: bare.status, error: bare.body.error }).toEqual({
          status: 400,
          error: 'invalid_dpop_proof',
        });
        expect(refreshCookie(bare)).toBeUndefined();
        const key = await DpopKey.generate();
        expectBoundTo(await login(email, key), key);
      });
    });

    describe('DPOP=off', () => {
      let app: TestApp;
      const { login, newUser } = client(() => app);
      beforeAll(async () => {
        app = await TestApp.start(kind, { env: { PUBLIC_URL, DPOP: 'off' } });
      });
      afterAll(async () => {
        await app?.stop();
      });

      it('ignores a login’s proof: a bearer session, no cnf', async () => {
        const response = await login(await newUser('off'), await DpopKey.generate());
        expectBearer(response);
        await app
          .http()
          .get('/api/users/me')
          .set('Authorization', `Bearer ${response.body.accessToken}`)
          .expect(200);
      });
    });

    describe('DPOP_NONCES=true', () => {
      let app: TestApp;
      // PostgreSQL: a second instance on the same database and keys, as behind a load balancer.
      let peer: TestApp | undefined;
      const { login, refreshByCookie, me, newUser } = client(() => app);
      const onPeer = client(() => peer!);

      beforeAll(async () => {
        app = await TestApp.start(kind, { env: { PUBLIC_URL, DPOP_NONCES: 'true' } });
        if (kind === 'postgres') peer = await TestApp.startPeer(app);
      });
      afterAll(async () => {
        await peer?.stop();
        await app?.stop();
      });

      function nonceDemanded(response: Response, status: 400 | 401): string {
        expectDpopError(response, status, 'use_dpop_nonce');
        const nonce = response.headers['dpop-nonce'];
        expect(typeof nonce).toBe('string');
        return nonce;
      }

      it('demands its nonce on login (400) and on a guarded route (401), and takes the proof that carries it', async () => {
        const email = await newUser('nonce');
        const key = await DpopKey.generate();
        const nonce = nonceDemanded(await login(email, key), 400);
        nonceDemanded(await login(email, key, {}, { nonce: 'not-a-nonce-of-this-server' }), 400);
        const signedIn = await login(email, key, {}, { nonce });
        expectBoundTo(signedIn, key);

        const accessToken = signedIn.body.accessToken as string;
        const fresh = nonceDemanded(await me(accessToken, key), 401);
        expect((await me(accessToken, key, { nonce: fresh })).status).toBe(200);

        // Refresh takes the refresh token, it starts nothing: 401 like a guarded route.
        const cookie = refreshCookie(signedIn)!;
        const demanded = nonceDemanded(await refreshByCookie(cookie, key), 401);
        expectBoundTo(await refreshByCookie(cookie, key, { nonce: demanded }), key);
      });

      if (kind === 'postgres') {
        it('takes a nonce one instance made on another that shares its keys', async () => {
          const email = await newUser('nonce-peer');
          const key = await DpopKey.generate();
          const fromA = nonceDemanded(await login(email, key), 400);
          const signedIn = await onPeer.login(email, key, {}, { nonce: fromA });
          expectBoundTo(signedIn, key);
          const accessToken = signedIn.body.accessToken as string;
          const fromB = nonceDemanded(await onPeer.me(accessToken, key), 401);
          expect((await me(accessToken, key, { nonce: fromB })).status).toBe(200);
        });
      }
    });

    // The replay cache is shared through Redis; without it each instance only knows its own (dpop.e2e-spec).
    if (kind === 'postgres' && redisUrl) {
      const sharedRedisUrl = redisUrl;
      describe('a proof replayed on another instance (REDIS_URL)', () => {
        let a: TestApp;
        let b: TestApp;
        const onA = client(() => a);
        const onB = client(() => b);

        beforeAll(async () => {
          a = await TestApp.start(kind, { env: { PUBLIC_URL, REDIS_URL: sharedRedisUrl } });
          b = await TestApp.startPeer(a);
        });
        afterAll(async () => {
          await b?.stop();
          await a?.stop();
        });

        it('is refused there: a login proof (400) and a resource proof (401)', async () => {
          const email = await onA.newUser('replay');
          const key = await DpopKey.generate();
          const loginProof = await proof(key, 'POST', '/api/auth/login');
          const first = await a
            .http()
            .post('/api/auth/login')
            .set('DPoP', loginProof)
            .send({ email, password: PASSWORD });
          expectBoundTo(first, key);
          const again = await b
            .http()
            .post('/api/auth/login')
            .set('DPoP', loginProof)
            .send({ email, password: PASSWORD });
          expectDpopError(again, 400, 'invalid_dpop_proof');

          const accessToken = first.body.accessToken as string;
          const resourceProof = await proof(key, 'GET', '/api/users/me', { accessToken });
          const call = (app: TestApp) =>
            app
              .http()
              .get('/api/users/me')
              .set('Authorization', `DPoP ${accessToken}`)
              .set('DPoP', resourceProof);
          expect((await call(a)).status).toBe(200);
          expectDpopError(await call(b), 401, 'invalid_dpop_proof');
          // The token itself is good on B: a fresh proof goes through.
          expect((await onB.me(accessToken, key)).status).toBe(200);
        });
      });
    }
  },
);
