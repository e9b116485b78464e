import { verify } from 'jsonwebtoken';
import { createPublicKey, generateKeyPairSync, JsonWebKey, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, login, me, refresh, refreshCookie, signUp } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { ServerProcess } from './support/server-process';
import { Env, TestApp } from './support/test-app';

const cookieValue = (cookie: string) => cookie.slice(cookie.indexOf('=') + 1);

async function jwks(app: TestApp): Promise<JsonWebKey[]> {
  const response = await app.http().get('/.well-known/jwks.json');
  expect(response.status).toBe(200);
  return response.body.keys as JsonWebKey[];
}

/** Verifies an access token as a resource server would: with the JWKS key its kid names, and nothing else. */
function verifyWithJwks(token: string, keys: JsonWebKey[]) {
  const { kid } = decodeJwt(token).header;
  const jwk = keys.find((key) => key.kid === kid);
  if (!jwk) throw new Error(`kid ${String(kid)} is not in the JWKS`);
  return verify(token, createPublicKey({ key: jwk, format: 'jwk' }), { algorithms: ['ES256'] });
}

function accessKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

describeEachDatabase('JWKS and the shape of the tokens', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  it('serves the public access-token keys at /.well-known/jwks.json without authentication', async () => {
    const response = await app.http().get('/.well-known/jwks.json');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    const keys = response.body.keys as JsonWebKey[];
    expect(Array.isArray(keys)).toBe(true);
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
      expect(typeof key.kid).toBe('string');
      expect(key.kid).not.toBe('');
      expect(typeof key.x).toBe('string');
      expect(typeof key.y).toBe('string');
      // Never a private part, and never a symmetric (refresh) secret.
      expect(key).not.toHaveProperty('d');
      expect(key).not.toHaveProperty('k');
    }
    expect(new Set(keys.map((key) => key.kid)).size).toBe(keys.length);
    // Public even with a bad bearer token: a resource server fetches it with no credentials at all.
    await app.http().get('/.well-known/jwks.json').set('Authorization', 'Bearer not.a.token').expect(200);
  });

  it('issues ES256 at+jwt access tokens whose kid is in the JWKS and which the JWKS key verifies', async () => {
    const session = await signUp(app);
    const { header } = decodeJwt(session.accessToken);
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    expect(typeof header.kid).toBe('string');
    const keys = await jwks(app);
    expect(keys.map((key) => key.kid)).toContain(header.kid);
    expect(() => verifyWithJwks(session.accessToken, keys)).not.toThrow();
  });

  it('puts the RFC 9068 claims in the access token, for 15 minutes by default', async () => {
    const session = await signUp(app);
    const { payload } = decodeJwt(session.accessToken);
    expect(payload).toMatchObject({ sub: session.userId, roles: ['user'] });
    for (const claim of ['iss', 'aud', 'client_id', 'sid', 'jti']) {
      expect(typeof payload[claim]).toBe('string');
      expect(payload[claim]).not.toBe('');
    }
    expect(typeof payload.iat).toBe('number');
    expect(typeof payload.exp).toBe('number');
    expect((payload.exp as number) - (payload.iat as number)).toBe(900);
    expect(Math.abs((payload.iat as number) - Date.now() / 1000)).toBeLessThan(60);
    expect(session.response.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    // Every token has its own id.
    const again = await refresh(app, session.cookie).expect(200);
    expect(decodeJwt(again.body.accessToken).payload.jti).not.toBe(payload.jti);
  });

  it('issues refresh+jwt refresh tokens with their own audience, never verifiable as an access token', async () => {
    const session = await signUp(app);
    const raw = cookieValue(session.cookie);
    const refreshToken = decodeJwt(raw);
    const access = decodeJwt(session.accessToken);
    expect(refreshToken.header.typ).toBe('refresh+jwt');
    expect(refreshToken.header.alg).not.toBe('none');
    expect(refreshToken.payload).toMatchObject({ sub: session.userId, sid: access.payload.sid });
    expect(typeof refreshToken.payload.jti).toBe('string');
    expect(typeof refreshToken.payload.aud).toBe('string');
    expect(refreshToken.payload.aud).not.toEqual(access.payload.aud);
    expect((refreshToken.payload.exp as number) - (refreshToken.payload.iat as number)).toBe(7 * 86400);
    // Signed with a key that is not the access key: no JWKS key verifies it.
    const keys = await jwks(app);
    for (const key of keys) {
      expect(() =>
        verify(raw, createPublicKey({ key, format: 'jwk' }), {
          algorithms: ['ES256', 'ES384', 'ES512', 'RS256'],
        }),
      ).toThrow();
    }
  });
});

describeEachDatabase('access key rotation', (kind) => {
  const refreshSecret = randomBytes(36).toString('base64url');
  let app: TestApp | undefined;

  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('puts a new key in service without logging anyone out', async () => {
    expect(refreshSecret).toHaveLength(48);
    const keyA = accessKey();
    const keyB = accessKey();
    app = await TestApp.start(kind, {
      env: { ACCESS_TOKEN_PRIVATE_KEY: keyA.privatePem, REFRESH_TOKEN_SECRET: refreshSecret },
    });
    const before = await signUp(app);
    const kidA = decodeJwt(before.accessToken).header.kid as string;
    expect((await jwks(app)).map((key) => key.kid)).toEqual([kidA]);
    await me(app, before.accessToken).expect(200);

    await app.restart({
      ACCESS_TOKEN_PRIVATE_KEY: keyB.privatePem,
      ACCESS_TOKEN_PREVIOUS_PUBLIC_KEYS: keyA.publicPem,
    });

    // The access token signed with A keeps working, and a resource server can still verify it from the JWKS.
    await me(app, before.accessToken).expect(200);
    const after = await login(app, before.email);
    const kidB = decodeJwt(after.accessToken).header.kid as string;
    expect(kidB).not.toBe(kidA);
    const keys = await jwks(app);
    expect(keys.map((key) => key.kid)).toEqual([kidB, kidA]);
    expect(() => verifyWithJwks(before.accessToken, keys)).not.toThrow();
    expect(() => verifyWithJwks(after.accessToken, keys)).not.toThrow();
    await me(app, after.accessToken).expect(200);

    // The refresh cookie issued before the rotation still refreshes, now into a token signed with B.
    const refreshed = await refresh(app, before.cookie);
    expect(refreshed.status).toBe(200);
    expect(decodeJwt(refreshed.body.accessToken).header.kid).toBe(kidB);
    await me(app, refreshed.body.accessToken).expect(200);
  }, 60_000);

  it('refuses tokens signed with a retired key, while their sessions still refresh', async () => {
    const keyA = accessKey();
    const keyB = accessKey();
    app = await TestApp.start(kind, {
      env: { ACCESS_TOKEN_PRIVATE_KEY: keyA.privatePem, REFRESH_TOKEN_SECRET: refreshSecret },
    });
    const session = await signUp(app);
    const kidA = decodeJwt(session.accessToken).header.kid as string;

    await app.restart({
      ACCESS_TOKEN_PRIVATE_KEY: keyB.privatePem,
      ACCESS_TOKEN_PREVIOUS_PUBLIC_KEYS: keyA.publicPem,
    });
    await me(app, session.accessToken).expect(200);
    const rotated = await refresh(app, session.cookie).expect(200);
    const cookie = refreshCookie(rotated)!;
    const tokenB = rotated.body.accessToken as string;
    const kidB = decodeJwt(tokenB).header.kid as string;

    // A retired: B only.
    await app.restart({
      ACCESS_TOKEN_PRIVATE_KEY: keyB.privatePem,
      ACCESS_TOKEN_PREVIOUS_PUBLIC_KEYS: undefined,
    });
    expect((await jwks(app)).map((key) => key.kid)).toEqual([kidB]);
    const refused = await me(app, session.accessToken);
    expect(refused.status).toBe(401);
    expect(decodeJwt(session.accessToken).header.kid).toBe(kidA);
    await me(app, tokenB).expect(200);
    // Retiring an access key logs nobody out: the refresh cookie gets a new token signed with B.
    const renewed = await refresh(app, cookie);
    expect(renewed.status).toBe(200);
    expect(decodeJwt(renewed.body.accessToken).header.kid).toBe(kidB);
    await me(app, renewed.body.accessToken).expect(200);
  }, 60_000);
});

describe('keys that are missing or weak stop the start', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-keys-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * Starts the real entry point (what `npm start` runs) in its own process and waits for it to give up. In this
   * process instead, the failed createApp() would leave the database it had begun to open running in the
   * background. A start that wrongly succeeds is killed by the timeout and fails the test.
   */
  async function startServer(env: Env): Promise<{ exitCode: number | null; stderr: string }> {
    const server = await ServerProcess.start({ PORT: '0', DATA_DIR: dataDir, ...env });
    const giveUp = setTimeout(() => server.signal('SIGKILL'), 45_000);
    const { code } = await server.exited;
    clearTimeout(giveUp);
    return { exitCode: code, stderr: server.text };
  }

  it('refuses NODE_ENV=production with no keys, naming ACCESS_TOKEN_PRIVATE_KEY, and generates none', async () => {
    const { exitCode, stderr } = await startServer({ NODE_ENV: 'production' });
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(/Gatehouse failed to start: .*ACCESS_TOKEN_PRIVATE_KEY/);
    expect(existsSync(join(dataDir, 'keys'))).toBe(false);
  }, 60_000);

  it('refuses NODE_ENV=production with an access key but no refresh secret, naming REFRESH_TOKEN_SECRET', async () => {
    const { exitCode, stderr } = await startServer({
      NODE_ENV: 'production',
      ACCESS_TOKEN_PRIVATE_KEY: accessKey().privatePem,
    });
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(/Gatehouse failed to start: .*REFRESH_TOKEN_SECRET/);
    expect(existsSync(join(dataDir, 'keys'))).toBe(false);
  }, 60_000);

  it('refuses a REFRESH_TOKEN_SECRET shorter than 32 characters, naming it', async () => {
    const weak = await startServer({
      NODE_ENV: 'production',
      ACCESS_TOKEN_PRIVATE_KEY: accessKey().privatePem,
      REFRESH_TOKEN_SECRET: 'x'.repeat(31),
    });
    expect(weak.exitCode).toBe(1);
    expect(weak.stderr).toMatch(/Gatehouse failed to start: .*REFRESH_TOKEN_SECRET/);
    // Outside production too: a weak secret is never accepted.
    const development = await startServer({
      NODE_ENV: 'development',
      REFRESH_TOKEN_SECRET: randomBytes(12).toString('base64url'),
    });
    expect(development.exitCode).toBe(1);
    expect(development.stderr).toMatch(/Gatehouse failed to start: .*REFRESH_TOKEN_SECRET/);
  }, 90_000);
});
