import { sign } from 'jsonwebtoken';
import { createPublicKey, generateKeyPairSync, JsonWebKey, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Response } from 'supertest';
import {
  decodeJwt,
  LoggedIn,
  me,
  refresh,
  refreshCookie,
  refreshCookieLine,
  signUp,
} from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { TestApp } from './support/test-app';

type Claims = Record<string, unknown>;

const encode = (part: object) => Buffer.from(JSON.stringify(part), 'utf8').toString('base64url');
/** An unsigned JWT: header and payload as given, an empty signature segment. */
const unsigned = (header: object, payload: object) => `${encode(header)}.${encode(payload)}.`;
/** Replaces a token's payload and keeps its header and signature: what tampering with a token in transit does. */
const withPayload = (token: string, payload: object) => {
  const [header, , signature] = token.split('.');
  return `${header}.${encode(payload)}.${signature}`;
};
const cookieValue = (cookie: string) => cookie.slice(cookie.indexOf('=') + 1);
const now = () => Math.floor(Date.now() / 1000);

describeEachDatabase('forged and tampered tokens', (kind) => {
  let app: TestApp;
  let dataDir: string;
  let accessPrivateKey: string;
  let refreshSecret: string;
  /** The server's real signing key id, as an attacker can read it from the JWKS. */
  let kid: string;
  let session: LoggedIn;
  let victim: LoggedIn;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-forged-'));
    app = await TestApp.start(kind, { env: { DATA_DIR: dataDir } });
    accessPrivateKey = readFileSync(join(dataDir, 'keys', 'access-private.pem'), 'utf8');
    refreshSecret = readFileSync(join(dataDir, 'keys', 'refresh-secret'), 'utf8').trim();
    session = await signUp(app);
    victim = await signUp(app);
    kid = decodeJwt(session.accessToken).header.kid as string;
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const accessClaims = (): Claims => decodeJwt(session.accessToken).payload;
  const refreshClaims = (cookie = session.cookie): Claims => decodeJwt(cookieValue(cookie)).payload;

  /** An access token signed with the server's own private key, with the header and claims given. */
  const signAccess = (claims: Claims, header: Claims = {}) =>
    sign(claims, accessPrivateKey, {
      algorithm: 'ES256',
      header: { alg: 'ES256', typ: 'at+jwt', kid, ...header },
    });
  /** A refresh token signed HS256 with the given secret (the server's own by default). */
  const signRefresh = (claims: Claims, secret = refreshSecret, header: Claims = {}) =>
    sign(claims, secret, { algorithm: 'HS256', header: { alg: 'HS256', typ: 'refresh+jwt', ...header } });

  const expectRefused = async (response: Response | Promise<Response>) => {
    const answer = await response;
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  };
  const expectRefreshRefused = async (token: string) => {
    const answer = await refresh(app, `refresh_token=${token}`);
    expect(answer.status).toBe(401);
    expect(refreshCookieLine(answer)).toMatch(/^refresh_token=;.*Max-Age=0/);
    expect(refreshCookieLine(answer)).toContain('Path=/api/auth');
    expect(refreshCookie(answer)).toBe('refresh_token=');
  };

  describe('on a guarded route (bearer access token)', () => {
    it('accepts the genuine access token, and one signed with the real key and the same claims', async () => {
      const answer = await me(app, session.accessToken);
      expect(answer.status).toBe(200);
      expect(answer.body.id).toBe(session.userId);
      // The control for every case below that signs with the real key: only the changed part makes them fail.
      await me(app, signAccess({ ...accessClaims(), jti: randomUUID() })).expect(200);
    });

    it('refuses a 15 KB Authorization header without a space at once: a few cannot hold the server', async () => {
      // A backtracking split of the header (passport-jwt's extractor) took ~0.45 s of the event loop for each of
      // these, so the twenty took 9 s or more; read in one pass, they take milliseconds. The bound is wide.
      const started = performance.now();
      for (let i = 0; i < 20; i += 1)
        await expectRefused(app.http().get('/api/users/me').set('Authorization', 'x'.repeat(15_000)));
      const elapsed = performance.now() - started;
      await expectRefused(
        app
          .http()
          .get('/api/users/me')
          .set('Authorization', `Bearer ${'x'.repeat(15_000)}`),
      );
      expect(elapsed).toBeLessThan(3_000);
    });

    it('refuses alg "none" and "NONE" with an empty signature', async () => {
      for (const alg of ['none', 'NONE', 'None']) {
        await expectRefused(me(app, unsigned({ alg, typ: 'at+jwt', kid }, accessClaims())));
        await expectRefused(me(app, unsigned({ alg, typ: 'at+jwt' }, accessClaims())));
      }
    });

    it('refuses HS256 signed with the public key from the JWKS as the HMAC secret (key confusion)', async () => {
      const jwks = await app.http().get('/.well-known/jwks.json').expect(200);
      const jwk = (jwks.body.keys as JsonWebKey[]).find((key) => key.kid === kid)!;
      expect(jwk).toBeDefined();
      const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
      for (const pem of [
        publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      ]) {
        const forged = sign(accessClaims(), pem, {
          algorithm: 'HS256',
          header: { alg: 'HS256', typ: 'at+jwt', kid },
        });
        await expectRefused(me(app, forged));
      }
    });

    it('refuses a tampered payload that keeps the original signature', async () => {
      const claims = accessClaims();
      await expectRefused(me(app, withPayload(session.accessToken, { ...claims, sub: victim.userId })));
      await expectRefused(me(app, withPayload(session.accessToken, { ...claims, roles: ['admin', 'user'] })));
      await expectRefused(me(app, withPayload(session.accessToken, { ...claims, exp: now() + 365 * 86400 })));
      // The genuine token is untouched by all this.
      await me(app, session.accessToken).expect(200);
    });

    it("refuses a token signed with a foreign P-256 key that carries the server's kid", async () => {
      const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const forged = sign({ ...accessClaims(), jti: randomUUID() }, foreign.privateKey, {
        algorithm: 'ES256',
        header: { alg: 'ES256', typ: 'at+jwt', kid },
      });
      await expectRefused(me(app, forged));
    });

    it('refuses a token that brings its own key in the header (embedded jwk)', async () => {
      const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const header = {
        alg: 'ES256',
        typ: 'at+jwt',
        kid: 'attacker',
        jwk: foreign.publicKey.export({ format: 'jwk' }),
      };
      const forged = sign({ ...accessClaims(), jti: randomUUID() }, foreign.privateKey, {
        algorithm: 'ES256',
        header,
      });
      await expectRefused(me(app, forged));
    });

    it('refuses the genuine header and payload with an empty or missing signature segment', async () => {
      const [header, payload] = session.accessToken.split('.');
      await expectRefused(me(app, `${header}.${payload}.`));
      await expectRefused(me(app, `${header}.${payload}`));
    });

    it('refuses a refresh token presented as a bearer token', async () => {
      await expectRefused(me(app, cookieValue(session.cookie)));
    });

    it('refuses a wrong issuer, audience or typ even when signed with the real key', async () => {
      const claims = { ...accessClaims(), jti: randomUUID() };
      await expectRefused(me(app, signAccess({ ...claims, iss: 'https://evil.example.com' })));
      await expectRefused(me(app, signAccess({ ...claims, aud: 'someone-else' })));
      await expectRefused(me(app, signAccess({ ...claims, aud: refreshClaims().aud })));
      await expectRefused(me(app, signAccess(claims, { typ: 'JWT' })));
      await expectRefused(me(app, signAccess(claims, { typ: 'refresh+jwt' })));
      const untyped = signAccess(claims, { typ: undefined });
      expect(decodeJwt(untyped).header).not.toHaveProperty('typ');
      await expectRefused(me(app, untyped));
    });

    it('refuses an expired token signed with the real key', async () => {
      const issuedAt = now() - 3600;
      await expectRefused(
        me(app, signAccess({ ...accessClaims(), jti: randomUUID(), iat: issuedAt, exp: issuedAt + 900 })),
      );
    });
  });

  describe('on POST /api/auth/refresh (refresh cookie)', () => {
    it('refuses an access token as the refresh cookie, and clears the cookie', async () => {
      await expectRefreshRefused(session.accessToken);
    });

    it('refuses alg "none" refresh tokens', async () => {
      for (const alg of ['none', 'NONE']) {
        await expectRefreshRefused(unsigned({ alg, typ: 'refresh+jwt' }, refreshClaims()));
      }
    });

    it('refuses a refresh token signed with a wrong secret', async () => {
      await expectRefreshRefused(signRefresh(refreshClaims(), randomBytes(36).toString('base64url')));
    });

    it('refuses a tampered refresh payload (another sid) that keeps the signature', async () => {
      const raw = cookieValue(session.cookie);
      await expectRefreshRefused(withPayload(raw, { ...refreshClaims(), sid: randomUUID() }));
      await expectRefreshRefused(withPayload(raw, { ...refreshClaims(), exp: now() + 365 * 86400 }));
    });

    it('refuses an expired refresh token signed with the real secret', async () => {
      // Control: re-signing the genuine claims with that secret gives back the genuine token byte for byte, so
      // what follows fails only because of what it changes.
      expect(signRefresh(refreshClaims())).toBe(cookieValue(session.cookie));
      const issuedAt = now() - 8 * 86400;
      await expectRefreshRefused(
        signRefresh({ ...refreshClaims(), jti: randomUUID(), iat: issuedAt, exp: issuedAt + 86400 }),
      );
    });

    it('refuses a refresh token with a wrong typ or audience, signed with the real secret', async () => {
      expect(signRefresh(refreshClaims())).toBe(cookieValue(session.cookie));
      await expectRefreshRefused(signRefresh(refreshClaims(), refreshSecret, { typ: 'JWT' }));
      await expectRefreshRefused(signRefresh(refreshClaims(), refreshSecret, { typ: 'at+jwt' }));
      await expectRefreshRefused(signRefresh({ ...refreshClaims(), aud: accessClaims().aud }));
    });

    it("never lets a forged token naming a victim's session revoke the victim's family", async () => {
      // The victim rotates once, so the family has a rotated parent: presenting that parent again would be reuse.
      const rotated = await refresh(app, victim.cookie).expect(200);
      const live = refreshCookie(rotated)!;
      const parent = refreshClaims(victim.cookie);
      const wrongSecret = randomBytes(36).toString('base64url');
      const forgeries = [
        signRefresh(parent, wrongSecret),
        signRefresh({ ...refreshClaims(session.cookie), sid: parent.sid }, wrongSecret),
        withPayload(cookieValue(session.cookie), { ...refreshClaims(session.cookie), sid: parent.sid }),
        unsigned({ alg: 'none', typ: 'refresh+jwt' }, parent),
      ];
      for (const forged of forgeries) {
        await expectRefreshRefused(forged);
        await expectRefreshRefused(forged);
      }

      const [row] = await app.query<{ revoked_at: Date | null }>(
        'SELECT revoked_at FROM sessions WHERE id = $1',
        [parent.sid],
      );
      expect(row.revoked_at).toBeNull();
      await me(app, rotated.body.accessToken).expect(200);
      const next = await refresh(app, live);
      expect(next.status).toBe(200);
      expect(next.body.user.id).toBe(victim.userId);
      expect(refreshCookie(next)).toBeDefined();
    });
  });
});
