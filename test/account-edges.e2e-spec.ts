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
  register,
  signUp,
  uniqueEmail,
} from './support/auth-client';
import { statusCounts } from './support/concurrent';
import { describeEachDatabase } from './support/databases';
import { expectNestError } from './support/expectations';
import { APP_URL, callbackUrl, oauthFlow, PUBLIC_URL } from './support/oauth-flow';
import { TestOidcProvider } from './support/oidc-provider';
import { outboxMessages, sentTo } from './support/outbox';
import { TestApp } from './support/test-app';
import { mailedToken } from './support/verified-sign-up';

const CLIENT_ID = 'gatehouse-account-edges';
const CLIENT_SECRET = 'the corp client secret of the account edges suite';
const ADMIN_PASSWORD = 'the gatehouse administrator passphrase';
const SESSION_MAX_AGE = 6;
const ROUNDS = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many messages in the app's outbox are addressed to `to`. */
async function outboxMailTo(app: TestApp, to: string): Promise<number> {
  return (await outboxMessages(app)).filter(sentTo(to)).length;
}

describeEachDatabase('account edges', (kind) => {
  describe('SESSION_MAX_AGE bounds access tokens', () => {
    let app: TestApp;

    beforeAll(async () => {
      app = await TestApp.start(kind, { env: { SESSION_MAX_AGE: `${SESSION_MAX_AGE}s` } });
    }, 60_000);
    afterAll(async () => {
      await app?.stop();
    }, 60_000);

    it(`no access token outlives the session: exp at most the sign-in plus ${SESSION_MAX_AGE} s, at login and at refresh`, async () => {
      const email = uniqueEmail('max-age');
      await register(app, email);
      const signedIn = await login(app, email);
      const first = decodeJwt(signedIn.accessToken).payload as { iat: number; exp: number };
      const sessionEnd = first.iat + SESSION_MAX_AGE;
      expect(signedIn.response.body.expiresIn).toBeGreaterThan(0);
      expect(signedIn.response.body.expiresIn).toBeLessThanOrEqual(SESSION_MAX_AGE);
      expect(first.exp).toBeLessThanOrEqual(sessionEnd);

      await sleep(3000);
      const refreshed = await refresh(app, signedIn.cookie).expect(200);
      const second = decodeJwt(refreshed.body.accessToken as string).payload as { iat: number; exp: number };
      // One second for the rounding of iat to whole seconds.
      expect(second.exp).toBeLessThanOrEqual(sessionEnd + 1);
      expect(refreshed.body.expiresIn).toBeLessThanOrEqual(SESSION_MAX_AGE - 2);
      expect(second.exp - second.iat).toBeLessThanOrEqual(refreshed.body.expiresIn + 1);
      await me(app, refreshed.body.accessToken).expect(200);

      const untilEnd = (sessionEnd + 1) * 1000 - Date.now();
      if (untilEnd > 0) await sleep(untilEnd + 500);
      await me(app, refreshed.body.accessToken).expect(401);
      await refresh(app, refreshCookie(refreshed)!).expect(401);
    }, 30_000);
  });

  describe('a wrong password at reauthenticate is a login attempt at the account', () => {
    const LOGIN_LIMIT = 3;
    let app: TestApp;

    beforeAll(async () => {
      // Each request from its own address: only the account's own counter (per email) can refuse them.
      app = await TestApp.start(kind, {
        env: { TRUST_PROXY: 'true', THROTTLE_LOGIN_LIMIT: String(LOGIN_LIMIT) },
      });
    }, 60_000);
    afterAll(async () => {
      await app?.stop();
    }, 60_000);

    it(`counts against the login limit (${LOGIN_LIMIT}): the right password is then 429 there and at login`, async () => {
      const email = uniqueEmail('reauth-limit');
      await register(app, email);
      const from = (host: number) => `198.51.100.${host}`;
      const signedIn = await app
        .http()
        .post('/api/auth/login')
        .set('X-Forwarded-For', from(1))
        .send({ email, password: PASSWORD })
        .expect(200);
      const reauthenticate = (password: string, host: number) =>
        app
          .http()
          .post('/api/auth/reauthenticate')
          .set('X-Forwarded-For', from(host))
          .set('Authorization', `Bearer ${signedIn.body.accessToken as string}`)
          .send({ password });
      const wrong = 'not the passphrase of this account at all';
      for (let attempt = 0; attempt < LOGIN_LIMIT - 1; attempt++) {
        await reauthenticate(wrong, 10 + attempt).expect(401);
      }
      const refused = await reauthenticate(PASSWORD, 20).expect(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      const atLogin = await app
        .http()
        .post('/api/auth/login')
        .set('X-Forwarded-For', from(30))
        .send({ email, password: PASSWORD });
      expect(atLogin.status).toBe(429);
    });
  });

  describe('with administrators, a provider and origins', () => {
    const adminEmail = `admin-${randomUUID()}@example.com`;
    let provider: TestOidcProvider;
    let app: TestApp;
    let seedAdmin: LoggedIn;
    const flow = oauthFlow({ app: () => app, provider: 'corp', secrets: new Set() });

    beforeAll(async () => {
      provider = await TestOidcProvider.start({
        clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [callbackUrl('corp')] }],
      });
      app = await TestApp.start(kind, {
        // On PostgreSQL the database is reached through a relay that the outage test cuts.
        throughProxy: kind === 'postgres',
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
        },
      });
      seedAdmin = await login(app, adminEmail, ADMIN_PASSWORD);
    }, 60_000);
    afterAll(async () => {
      await app?.stop();
      await provider?.stop();
    }, 60_000);

    const bearer = (session: { accessToken: string }) => `Bearer ${session.accessToken}`;
    const disable = (by: LoggedIn, id: string) =>
      app.http().post(`/api/admin/users/${id}/disable`).set('Authorization', bearer(by));
    const enable = (by: LoggedIn, id: string) =>
      app.http().post(`/api/admin/users/${id}/enable`).set('Authorization', bearer(by));

    async function enabledAdmins(): Promise<number> {
      const [{ count }] = await app.query<{ count: string }>(
        `SELECT count(*) AS count FROM users WHERE 'admin' = ANY (roles) AND disabled_at IS NULL`,
      );
      return Number(count);
    }

    /** A new account made administrator (fixture set-up in the database), signed in after the change. */
    async function newAdmin(): Promise<LoggedIn> {
      const email = uniqueEmail('admin');
      await register(app, email);
      await app.query(`UPDATE users SET roles = '{admin,user}' WHERE email = $1`, [email]);
      const session = await login(app, email);
      expect(session.response.body.user.roles).toContain('admin');
      return session;
    }

    describe('an administrator cannot disable themselves nor the last enabled administrator', () => {
      it('disabling oneself is 409, and the account still signs in', async () => {
        const admin = await newAdmin();
        const refused = await disable(admin, admin.userId);
        expect(refused.status).toBe(409);
        expectNestError(refused.body, 409);
        await me(app, admin.accessToken).expect(200);
        await login(app, admin.email);
      });

      it(`two administrators disabling each other at once, ${ROUNDS} times: never both, one always left`, async () => {
        let a = await newAdmin();
        let b = await newAdmin();
        // Only these two stay enabled, so that each disable could be the last administrator's.
        await disable(a, seedAdmin.userId).expect(204);
        const others = await app.query<{ id: string }>(
          `SELECT id FROM users WHERE 'admin' = ANY (roles) AND disabled_at IS NULL AND id <> ALL ($1)`,
          [[a.userId, b.userId]],
        );
        for (const { id } of others) await disable(a, id).expect(204);
        expect(await enabledAdmins()).toBe(2);
        const outcomes: Record<string, number>[] = [];

        for (let round = 0; round < ROUNDS; round++) {
          const [aToB, bToA] = await Promise.all([disable(a, b.userId), disable(b, a.userId)]);
          outcomes.push(statusCounts([aToB, bToA]));
          const statuses = [aToB.status, bToA.status];
          expect({ round, statuses, bodies: [aToB.body, bToA.body] }).toEqual({
            round,
            statuses: expect.arrayContaining([204]),
            bodies: expect.anything(),
          });
          expect({ round, statuses }).not.toEqual({ round, statuses: [204, 204] });
          const loserAnswer = aToB.status === 204 ? bToA : aToB;
          expect({ round, loser: [409, 401].includes(loserAnswer.status), body: loserAnswer.body }).toEqual({
            round,
            loser: true,
            body: loserAnswer.body,
          });
          expectNestError(loserAnswer.body, loserAnswer.status);
          expect(await enabledAdmins()).toBe(1);

          const [winner, loser] = aToB.status === 204 ? [a, b] : [b, a];
          // A disabled administrator disables nobody, and its sessions are gone.
          const bystander = await signUp(app);
          await disable(loser, bystander.userId).expect(401);
          await me(app, bystander.accessToken).expect(200);
          await refresh(app, loser.cookie).expect(401);
          expect(
            (await app.http().post('/api/auth/login').send({ email: loser.email, password: PASSWORD }))
              .status,
          ).not.toBe(200);

          await enable(winner, loser.userId).expect(204);
          const back = await login(app, loser.email);
          [a, b] = aToB.status === 204 ? [winner, back] : [back, winner];
        }
        process.stderr.write(`mutual disables [${kind}]: ${JSON.stringify(outcomes)}\n`);

        // Leave the seed administrator as it was.
        await enable(a, seedAdmin.userId).expect(204);
        seedAdmin = await login(app, adminEmail, ADMIN_PASSWORD);
      }, 60_000);
    });

    describe('the OAuth callback with a returnTo beyond ASCII', () => {
      const cases: [string, string, string[]][] = [
        ['/€', `?returnTo=${encodeURIComponent('/€')}`, [`${APP_URL}/%E2%82%AC`]],
        ['/café?x=ü', `?returnTo=${encodeURIComponent('/café?x=ü')}`, [`${APP_URL}/caf%C3%A9?x=%C3%BC`]],
        // Bytes that decode to no character (a UTF-16 surrogate in UTF-8). The contract asks only for a 303 to an
        // ASCII Location on APP_URL: `/`, or the escapes kept as they came.
        ['a lone surrogate', '?returnTo=/%ED%A0%80', [`${APP_URL}/`, `${APP_URL}/%ED%A0%80`]],
      ];

      it.each(cases)(
        '%s: the callback answers 303 to the encoded path on APP_URL and sets the refresh cookie',
        async (_name, query, locations) => {
          const sub = `edges-${randomUUID()}`;
          const email = uniqueEmail('oauth');
          provider.account({ sub, email, emailVerified: true, name: 'Edges at Corp' });
          const startAnswer = await app.http().get(`/api/auth/oauth/corp/start${query}`);
          expect(startAnswer.status).toBe(303);
          const started = flow.startedFrom(startAnswer);
          const answer = await flow.callback(
            await provider.signIn(started.authorizationUrl.toString(), sub),
            started.cookie,
          );
          const location = answer.headers.location as string | undefined;
          expect({ status: answer.status, location, body: answer.text }).toEqual({
            status: 303,
            location: expect.stringMatching(/^[\x21-\x7e]+$/),
            body: expect.not.stringMatching(/ERR_|FST_|stack/),
          });
          expect(locations).toContain(location);
          const cookie = refreshCookie(answer);
          expect(cookie).toBeDefined();
          // The one session the callback started is the cookie's.
          const session = await flow.sessionOf(answer);
          expect(session.email).toBe(email);
          const [{ count }] = await app.query<{ count: string }>(
            'SELECT count(*) AS count FROM sessions WHERE user_id = $1',
            [session.userId],
          );
          expect(Number(count)).toBe(1);
        },
      );
    });

    describe('origins compare scheme, host and port', () => {
      const HOST = '127.0.0.1:45678';
      const attempt = (path: string, origin: string, body: object = {}) =>
        app.http().post(path).set('Host', HOST).set('Origin', origin).send(body);

      it('login: the server’s own origin and PUBLIC_URL’s are allowed; another scheme or port is 403', async () => {
        const email = uniqueEmail('origin');
        await register(app, email);
        for (const origin of [`http://${HOST}`, PUBLIC_URL]) {
          const right = await attempt('/api/auth/login', origin, { email, password: PASSWORD });
          expect({ origin, status: right.status }).toEqual({ origin, status: 200 });
          const wrong = await attempt('/api/auth/login', origin, {
            email,
            password: 'not the password at all',
          });
          expect({ origin, status: wrong.status }).toEqual({ origin, status: 401 });
        }
        for (const origin of [
          `https://${HOST}`,
          'http://127.0.0.1:45679',
          'http://127.0.0.1',
          'https://localhost:4999',
          'http://localhost:4998',
        ]) {
          const refused = await attempt('/api/auth/login', origin, { email, password: PASSWORD });
          expect({ origin, status: refused.status }).toEqual({ origin, status: 403 });
          expectNestError(refused.body, 403);
          expect(refreshCookie(refused)).toBeUndefined();
        }
      });

      it('refresh: the same, and a refused refresh leaves the cookie usable', async () => {
        const session = await signUp(app);
        for (const origin of [`https://${HOST}`, 'http://127.0.0.1:45679']) {
          const refused = await app
            .http()
            .post('/api/auth/refresh')
            .set('Host', HOST)
            .set('Origin', origin)
            .set('Cookie', session.cookie);
          expect({ origin, status: refused.status }).toEqual({ origin, status: 403 });
          expect(refreshCookie(refused)).toBeUndefined();
        }
        const allowed = await app
          .http()
          .post('/api/auth/refresh')
          .set('Host', HOST)
          .set('Origin', `http://${HOST}`)
          .set('Cookie', session.cookie);
        expect(allowed.status).toBe(200);
        await app
          .http()
          .post('/api/auth/refresh')
          .set('Origin', PUBLIC_URL)
          .set('Cookie', refreshCookie(allowed)!)
          .expect(200);
      });
    });

    describe('password/forgot does no work before answering', () => {
      /** What a client can compare between two answers: status, body and headers but the per-request ones. */
      function visible(response: Response): unknown {
        const headers = { ...response.headers };
        for (const name of ['date', 'x-request-id', 'x-correlation-id', 'etag']) delete headers[name];
        return { status: response.status, body: response.body, headers };
      }

      it('answers a known and an unknown address alike; only the known one gets a reset mail', async () => {
        const known = uniqueEmail('forgot');
        await register(app, known);
        const unknown = uniqueEmail('nobody');
        let answers: Response[];
        if (kind === 'postgres') {
          // With the database out of reach, an answer that waited for any of the work would be a 503.
          await app.proxy!.cut();
          try {
            answers = [
              await app.http().post('/api/auth/password/forgot').send({ email: known }),
              await app.http().post('/api/auth/password/forgot').send({ email: unknown }),
            ];
          } finally {
            await app.proxy!.restore();
          }
        } else {
          answers = [
            await app.http().post('/api/auth/password/forgot').send({ email: known }),
            await app.http().post('/api/auth/password/forgot').send({ email: unknown }),
          ];
        }
        expect(answers[0].status).toBe(202);
        expect(visible(answers[0])).toEqual(visible(answers[1]));
        expect(answers[0].body).toEqual({ status: 'accepted' });

        expect(await mailedToken(app, known, 'reset-password', undefined, 15_000)).toMatch(
          /^[A-Za-z0-9_-]{43,}$/,
        );
        expect(await outboxMailTo(app, unknown)).toBe(0);
      }, 30_000);
    });
  });
});
