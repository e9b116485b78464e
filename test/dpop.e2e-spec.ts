import { Response } from 'supertest';
import { decodeJwt, PASSWORD, refreshCookie, register, uniqueEmail } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { DpopKey, unsignedProof } from './support/dpop-key';
import { TestApp } from './support/test-app';

/** Where clients reach the app: every proof's `htu` names this origin, whatever Host the request carries. */
const PUBLIC_URL = 'http://localhost:4999';
const url = (path: string) => `${PUBLIC_URL}${path}`;

interface BoundSession {
  key: DpopKey;
  accessToken: string;
  cookie: string;
  response: Response;
}

function expectDpopRefusal(response: Response, error: 'invalid_dpop_proof' | 'invalid_token'): void {
  expect(response.status).toBe(401);
  const header = String(response.headers['www-authenticate']);
  expect(header).toMatch(/^DPoP /);
  expect(header).toContain(`error="${error}"`);
  expect(header).toMatch(/algs="[^"]*ES256/);
  expect(response.body).toMatchObject({ statusCode: 401, error });
}

describeEachDatabase('sender-constrained tokens (DPoP)', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    // No grace window: a token presented again is reuse at once, so the reuse test need not wait it out.
    app = await TestApp.start(kind, { env: { PUBLIC_URL, REFRESH_REUSE_GRACE_SECONDS: '0' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function boundLogin(key?: DpopKey): Promise<BoundSession> {
    const email = uniqueEmail('dpop');
    await register(app, email);
    const proofKey = key ?? (await DpopKey.generate());
    const response = await app
      .http()
      .post('/api/auth/login')
      .set('DPoP', await proofKey.proof('POST', url('/api/auth/login')))
      .send({ email, password: PASSWORD })
      .expect(200);
    return {
      key: proofKey,
      accessToken: response.body.accessToken as string,
      cookie: refreshCookie(response)!,
      response,
    };
  }

  const me = async (
    session: BoundSession,
    options: Parameters<DpopKey['proof']>[2] = {},
    key = session.key,
  ) =>
    app
      .http()
      .get('/api/users/me')
      .set('Authorization', `DPoP ${session.accessToken}`)
      .set(
        'DPoP',
        await key.proof('GET', url('/api/users/me'), { accessToken: session.accessToken, ...options }),
      );

  /** A refresh with the session's cookie, and a proof by `key` (null: none). */
  const refreshWith = async (
    session: BoundSession,
    key: DpopKey | null = session.key,
    cookie = session.cookie,
  ) => {
    const request = app.http().post('/api/auth/refresh').set('Cookie', cookie);
    if (key) request.set('DPoP', await key.proof('POST', url('/api/auth/refresh')));
    return request;
  };

  describe('binding at sign-in', () => {
    it('a login with a proof binds the session: tokenType DPoP, cnf.jkt the key’s thumbprint', async () => {
      const session = await boundLogin();
      expect(session.response.body.tokenType).toBe('DPoP');
      expect(decodeJwt(session.accessToken).payload.cnf).toEqual({ jkt: session.key.jkt });
      expect(session.response.headers['cache-control']).toBe('no-store');
      const events = app.logs.lines.filter((line) => line.includes('"dpop.bound"'));
      expect(events.some((line) => line.includes(session.key.jkt))).toBe(true);
    });

    it('a login without a proof stays a bearer session, as before', async () => {
      const email = uniqueEmail('bearer');
      await register(app, email);
      const response = await app
        .http()
        .post('/api/auth/login')
        .send({ email, password: PASSWORD })
        .expect(200);
      expect(response.body.tokenType).toBe('Bearer');
      expect(decodeJwt(response.body.accessToken as string).payload.cnf).toBeUndefined();
      const token = response.body.accessToken as string;
      await app.http().get('/api/users/me').set('Authorization', `Bearer ${token}`).expect(200);
      // An unbound token is never taken as DPoP.
      const key = await DpopKey.generate();
      const asDpop = await app
        .http()
        .get('/api/users/me')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', await key.proof('GET', url('/api/users/me'), { accessToken: token }));
      expectDpopRefusal(asDpop, 'invalid_token');
      await app
        .http()
        .post('/api/auth/refresh')
        .set('Cookie', refreshCookie(response)!)
        .expect(200)
        .expect((refreshed) => expect(refreshed.body.tokenType).toBe('Bearer'));
    });

    it('a login with a bad proof is 400 invalid_dpop_proof, and starts nothing', async () => {
      const email = uniqueEmail('bad-proof');
      await register(app, email);
      const key = await DpopKey.generate();
      const response = await app
        .http()
        .post('/api/auth/login')
        .set('DPoP', await key.proof('GET', url('/api/auth/login')))
        .send({ email, password: PASSWORD });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'invalid_dpop_proof' });
      expect(refreshCookie(response)).toBeUndefined();
    });
  });

  describe('guarded routes', () => {
    it('take a bound token as DPoP with a fresh proof by its key', async () => {
      const session = await boundLogin();
      const response = await me(session);
      expect(response.status).toBe(200);
      expect((await me(session)).status).toBe(200);
    });

    it('refuse the bound token as Bearer (no downgrade), and without a proof', async () => {
      const session = await boundLogin();
      const asBearer = await app
        .http()
        .get('/api/users/me')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .set(
          'DPoP',
          await session.key.proof('GET', url('/api/users/me'), { accessToken: session.accessToken }),
        );
      expectDpopRefusal(asBearer, 'invalid_token');
      const withoutProof = await app
        .http()
        .get('/api/users/me')
        .set('Authorization', `DPoP ${session.accessToken}`);
      expectDpopRefusal(withoutProof, 'invalid_dpop_proof');
    });

    it('refuse a token copied off its device: a proof by another key', async () => {
      const session = await boundLogin();
      expectDpopRefusal(await me(session, {}, await DpopKey.generate()), 'invalid_dpop_proof');
    });

    it('refuse each broken check alone', async () => {
      const session = await boundLogin();
      const now = Math.floor(Date.now() / 1000);
      const cases: Record<string, Parameters<DpopKey['proof']>[2]> = {
        'another method': { claims: { htm: 'POST' } },
        'another URL': { claims: { htu: url('/api/notes') } },
        'the Host header’s URL instead of PUBLIC_URL’s': { claims: { htu: 'http://127.0.0.1/api/users/me' } },
        'another token’s hash': { accessToken: `${session.accessToken}x` },
        'no ath': { claims: { ath: undefined } },
        'typ jwt': { header: { typ: 'JWT' } },
        'an iat too old': { iat: now - 120 },
        'an iat in the future': { iat: now + 120 },
        'no jti': { claims: { jti: undefined } },
      };
      for (const [name, options] of Object.entries(cases)) {
        const response = await me(session, options);
        expect({ name, status: response.status }).toEqual({ name, status: 401 });
        expectDpopRefusal(response, 'invalid_dpop_proof');
      }
      // The same request with an honest proof still works: nothing above was counted against the session.
      expect((await me(session)).status).toBe(200);
    });

    it('refuse alg none, an HMAC, and a proof that carries its private key', async () => {
      const session = await boundLogin();
      const claims = {
        htm: 'GET',
        htu: url('/api/users/me'),
        iat: Math.floor(Date.now() / 1000),
        jti: 'unsigned-proof',
      };
      const call = (proof: string) =>
        app
          .http()
          .get('/api/users/me')
          .set('Authorization', `DPoP ${session.accessToken}`)
          .set('DPoP', proof);
      expectDpopRefusal(
        await call(unsignedProof({ typ: 'dpop+jwt', jwk: session.key.publicJwk }, claims)),
        'invalid_dpop_proof',
      );
      // An HMAC header over a real proof's payload and signature: the algorithm itself is refused.
      const honest = await session.key.proof('GET', url('/api/users/me'), {
        accessToken: session.accessToken,
      });
      const [, payload, signature] = honest.split('.');
      const forgedHeader = Buffer.from(
        JSON.stringify({ alg: 'HS256', typ: 'dpop+jwt', jwk: session.key.publicJwk }),
      ).toString('base64url');
      expectDpopRefusal(await call(`${forgedHeader}.${payload}.${signature}`), 'invalid_dpop_proof');
      const leaky = await session.key.proof('GET', url('/api/users/me'), {
        accessToken: session.accessToken,
        header: { jwk: await session.key.privateJwk() },
      });
      expectDpopRefusal(await call(leaky), 'invalid_dpop_proof');
    });

    it('refuse a proof used twice', async () => {
      const session = await boundLogin();
      const proof = await session.key.proof('GET', url('/api/users/me'), {
        accessToken: session.accessToken,
      });
      const call = () =>
        app
          .http()
          .get('/api/users/me')
          .set('Authorization', `DPoP ${session.accessToken}`)
          .set('DPoP', proof);
      expect((await call()).status).toBe(200);
      expectDpopRefusal(await call(), 'invalid_dpop_proof');
    });
  });

  describe('the refresh token of a bound session', () => {
    it('refreshes only with a proof by the session’s key; a refusal revokes nothing and keeps the cookie', async () => {
      const session = await boundLogin();
      const without = await refreshWith(session, null);
      expectDpopRefusal(without, 'invalid_dpop_proof');
      expect(refreshCookie(without)).toBeUndefined();
      expectDpopRefusal(await refreshWith(session, await DpopKey.generate()), 'invalid_dpop_proof');

      const refreshed = await refreshWith(session);
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.tokenType).toBe('DPoP');
      expect(decodeJwt(refreshed.body.accessToken as string).payload.cnf).toEqual({ jkt: session.key.jkt });
      const events = app.logs.lines.filter((line) => line.includes('"dpop.refused"'));
      expect(events.length).toBeGreaterThan(0);
    });

    it('still detects reuse: an old token with the right key revokes the family', async () => {
      const session = await boundLogin();
      const first = await refreshWith(session);
      expect(first.status).toBe(200);
      const reused = await refreshWith(session);
      expect(reused.status).toBe(401);
      const live = { ...session, cookie: refreshCookie(first)! };
      expect((await refreshWith(live)).status).toBe(401);
    });

    it('logs out only with a proof by the session’s key', async () => {
      const session = await boundLogin();
      const bare = await app.http().post('/api/auth/logout').set('Cookie', session.cookie);
      expectDpopRefusal(bare, 'invalid_dpop_proof');
      expect((await me(session)).status).toBe(200);
      await app
        .http()
        .post('/api/auth/logout')
        .set('Cookie', session.cookie)
        .set('DPoP', await session.key.proof('POST', url('/api/auth/logout')))
        .expect(204);
      expect((await me(session)).status).toBe(401);
    });

    it('reauthenticates only with a proof, and the new token stays bound', async () => {
      const session = await boundLogin();
      const asBearer = await app
        .http()
        .post('/api/auth/reauthenticate')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .send({ password: PASSWORD });
      expectDpopRefusal(asBearer, 'invalid_token');
      const stepped = await app
        .http()
        .post('/api/auth/reauthenticate')
        .set('Authorization', `DPoP ${session.accessToken}`)
        .set(
          'DPoP',
          await session.key.proof('POST', url('/api/auth/reauthenticate'), {
            accessToken: session.accessToken,
          }),
        )
        .send({ password: PASSWORD })
        .expect(200);
      expect(stepped.body.tokenType).toBe('DPoP');
      expect(decodeJwt(stepped.body.accessToken as string).payload.cnf).toEqual({ jkt: session.key.jkt });
    });
  });
});
