// Longer than most suites: one app per database serves the admin routes, every rule of the token endpoint, the
// token's use, timing, discovery with a real OAuth client, and (PostgreSQL) a deletion reaching a second instance;
// the DPOP settings follow, each on an app of its own.
import { createHash, randomUUID } from 'node:crypto';
import type * as Jose from 'jose';
import type * as OpenIdClient from 'openid-client';
import { Response } from 'supertest';
import { decodeJwt, HttpTarget, login, LoggedIn, signUp } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { DpopKey } from './support/dpop-key';
import { freePort } from './support/server-process';
import {
  basic,
  createClient,
  CreatedClient,
  expectTokenError,
  form,
  postCredentials,
  TOKEN_PATH,
  tokenRequest,
} from './support/service-clients';
import { TestApp } from './support/test-app';

// jose and openid-client are ESM-only: Jest's module loader cannot require them, a native dynamic import can.
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(
  specifier: string,
) => Promise<T>;

const ADMIN_PASSWORD = 'the gatehouse administrator passphrase';
const CLIENT_TOKEN_TTL = 120;
const AUDIENCE = 'gatehouse-api';
const PROPAGATION_MS = 2000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The token of a client_secret_post request that must succeed. */
async function clientToken(app: HttpTarget, client: CreatedClient, scope?: string): Promise<string> {
  const response = await tokenRequest(
    app,
    postCredentials(client, scope === undefined ? [] : [['scope', scope]]),
  );
  if (response.status !== 200) throw new Error(`token: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.access_token as string;
}

const principal = (app: HttpTarget, token: string) =>
  app.http().get('/api/auth/principal').set('Authorization', `Bearer ${token}`);

function expectInsufficientScope(response: Response): void {
  expect(response.status).toBe(403);
  expect(String(response.headers['www-authenticate'])).toMatch(/^Bearer .*error="insufficient_scope"/);
}

describeEachDatabase('service clients and the client-credentials grant', (kind) => {
  const adminEmail = `admin-${randomUUID()}@example.com`;
  let app: TestApp;
  let origin: string;
  let admin: LoggedIn;
  /** Holds notes:read and notes:write. */
  let client: CreatedClient;
  const secrets: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    app = await TestApp.start(kind, {
      env: {
        ADMIN_EMAIL: adminEmail,
        ADMIN_PASSWORD,
        PUBLIC_URL: origin,
        CLIENT_TOKEN_TTL: String(CLIENT_TOKEN_TTL),
      },
    });
    await app.app.listen({ port, host: '127.0.0.1' });
    admin = await login(app, adminEmail, ADMIN_PASSWORD);
    client = await createClient(app, admin.accessToken, ['notes:read', 'notes:write']);
    secrets.push(client.clientSecret);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  }, 60_000);

  const asAdmin = (token = admin.accessToken) => ({ Authorization: `Bearer ${token}` });
  const newClient = async (scopes: string[]) => {
    const made = await createClient(app, admin.accessToken, scopes);
    secrets.push(made.clientSecret);
    return made;
  };

  describe('admin routes', () => {
    it('create: 201 {id, clientId, clientSecret, scopes}, no-store; the database keeps only the secret’s SHA-256', async () => {
      const response = await app
        .http()
        .post('/api/admin/clients')
        .set(asAdmin())
        .send({ name: 'billing export', scopes: ['notes:read'] })
        .expect(201);
      const made = response.body as CreatedClient;
      secrets.push(made.clientSecret);
      expect(Object.keys(made).sort()).toEqual(['clientId', 'clientSecret', 'id', 'scopes']);
      expect(made.clientId).toMatch(/^gcl_[A-Za-z0-9_-]{22}$/);
      expect(made.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(made.scopes).toEqual(['notes:read']);
      expect(response.headers['cache-control']).toBe('no-store');

      const [row] = await app.query<Record<string, unknown>>('SELECT * FROM service_clients WHERE id = $1', [
        made.id,
      ]);
      expect(row).toMatchObject({ client_id: made.clientId, name: 'billing export', deleted_at: null });
      expect(row.created_by).toBe(admin.userId);
      const stored = Buffer.from(row.secret_hash as Uint8Array);
      expect(stored.equals(createHash('sha256').update(made.clientSecret).digest())).toBe(true);
      const text = JSON.stringify(
        Object.values(row).map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v)),
      );
      expect(text).not.toContain(made.clientSecret);
    });

    it('list: live clients, newest first, never a secret', async () => {
      const made = await newClient(['profile:read']);
      const response = await app.http().get('/api/admin/clients').set(asAdmin()).expect(200);
      const items = response.body as Record<string, unknown>[];
      expect(items[0]).toEqual({
        id: made.id,
        clientId: made.clientId,
        name: 'a service client',
        scopes: ['profile:read'],
        createdAt: expect.any(String),
      });
      for (const item of items)
        expect(Object.keys(item).sort()).toEqual(['clientId', 'createdAt', 'id', 'name', 'scopes']);
      expect(items.map((item) => item.clientId)).toContain(client.clientId);
      expect(JSON.stringify(items)).not.toMatch(new RegExp(secrets.join('|')));
    });

    it.each([
      ['a blank name', { name: '   ', scopes: ['notes:read'] }],
      ['an empty name', { name: '', scopes: ['notes:read'] }],
      ['a name over 100 characters', { name: 'n'.repeat(101), scopes: ['notes:read'] }],
      ['a NUL in the name', { name: 'a\u0000b', scopes: ['notes:read'] }],
      ['no scopes', { name: 'x', scopes: [] }],
      ['an undeclared scope', { name: 'x', scopes: ['notes:delete'] }],
      ['a scope twice', { name: 'x', scopes: ['notes:read', 'notes:read'] }],
      ['51 scopes', { name: 'x', scopes: Array.from({ length: 51 }, () => 'notes:read') }],
      ['a scope that is not a string', { name: 'x', scopes: [7] }],
      ['an unknown property', { name: 'x', scopes: ['notes:read'], clientSecret: 'mine' }],
      ['no name', { scopes: ['notes:read'] }],
    ])('create refuses %s with 400', async (_case, body) => {
      const before = await app.query<{ n: number }>('SELECT count(*)::int AS n FROM service_clients');
      const response = await app.http().post('/api/admin/clients').set(asAdmin()).send(body);
      expect(response.status).toBe(400);
      const after = await app.query<{ n: number }>('SELECT count(*)::int AS n FROM service_clients');
      expect(after[0].n).toBe(before[0].n);
    });

    it('is for admins only: 401 without a token, 403 for a user', async () => {
      const user = await signUp(app);
      await app.http().get('/api/admin/clients').expect(401);
      await app.http().get('/api/admin/clients').set(asAdmin(user.accessToken)).expect(403);
      await app
        .http()
        .post('/api/admin/clients')
        .set(asAdmin(user.accessToken))
        .send({ name: 'x', scopes: ['notes:read'] })
        .expect(403);
      await app.http().delete(`/api/admin/clients/${client.id}`).set(asAdmin(user.accessToken)).expect(403);
    });

    it('delete: 204 and gone from the list; again 404; an unknown id 404, a malformed one 400', async () => {
      const made = await newClient(['notes:read']);
      await app.http().delete(`/api/admin/clients/${made.id}`).set(asAdmin()).expect(204);
      const list = await app.http().get('/api/admin/clients').set(asAdmin()).expect(200);
      expect((list.body as CreatedClient[]).map((c) => c.id)).not.toContain(made.id);
      await app.http().delete(`/api/admin/clients/${made.id}`).set(asAdmin()).expect(404);
      await app.http().delete(`/api/admin/clients/${randomUUID()}`).set(asAdmin()).expect(404);
      await app.http().delete('/api/admin/clients/not-a-uuid').set(asAdmin()).expect(400);
      const [row] = await app.query<{ deleted_at: Date | null }>(
        'SELECT deleted_at FROM service_clients WHERE id = $1',
        [made.id],
      );
      expect(row.deleted_at).not.toBeNull();
      const events = app.logs.lines.filter((line) => line.includes(made.clientId));
      expect(events.some((line) => line.includes('"client.created"'))).toBe(true);
      expect(events.some((line) => line.includes('"client.deleted"'))).toBe(true);
    });
  });

  describe('POST /api/oauth/token', () => {
    it('client_secret_post: 200 {access_token, token_type, expires_in, scope}, no-store and no-cache', async () => {
      const response = await tokenRequest(app, postCredentials(client)).expect(200);
      expect(Object.keys(response.body).sort()).toEqual([
        'access_token',
        'expires_in',
        'scope',
        'token_type',
      ]);
      expect(response.body).toMatchObject({
        token_type: 'Bearer',
        expires_in: CLIENT_TOKEN_TTL,
        scope: 'notes:read notes:write',
      });
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers.pragma).toBe('no-cache');
    });

    it('client_secret_basic, each half form-urldecoded (RFC 6749 §2.3.1)', async () => {
      const grant = form([['grant_type', 'client_credentials']]);
      await tokenRequest(app, grant, { Authorization: basic(client.clientId, client.clientSecret) }).expect(
        200,
      );
      // `%67` is `g`: a server that skipped the decoding would look up another client.
      const encoded = `%67${client.clientId.slice(1)}:${client.clientSecret}`;
      const response = await tokenRequest(app, grant, {
        Authorization: `Basic ${Buffer.from(encoded).toString('base64')}`,
      });
      expect(response.status).toBe(200);
      expect(decodeJwt(response.body.access_token).payload.sub).toBe(client.clientId);
      // client_id may ride in the body too, when it names the same client.
      await tokenRequest(
        app,
        form([
          ['grant_type', 'client_credentials'],
          ['client_id', client.clientId],
        ]),
        {
          Authorization: basic(client.clientId, client.clientSecret),
        },
      ).expect(200);
    });

    it('scope: absent or empty gives every scope the client holds; otherwise what it asks, each once', async () => {
      const scopeOf = async (extra: [string, string][]) =>
        (await tokenRequest(app, postCredentials(client, extra)).expect(200)).body.scope as string;
      expect(await scopeOf([])).toBe('notes:read notes:write');
      expect(await scopeOf([['scope', '']])).toBe('notes:read notes:write');
      expect(await scopeOf([['scope', 'notes:write']])).toBe('notes:write');
      expect(await scopeOf([['scope', 'notes:write notes:read notes:write']])).toBe('notes:write notes:read');
    });

    it('refuses a request without grant_type: 400 invalid_request', async () => {
      const body = form([
        ['client_id', client.clientId],
        ['client_secret', client.clientSecret],
      ]);
      expectTokenError(await tokenRequest(app, body), 400, 'invalid_request');
      expectTokenError(await tokenRequest(app, `grant_type=&${body}`), 400, 'invalid_request');
      expectTokenError(await app.http().post(TOKEN_PATH), 400, 'invalid_request');
    });

    it.each(['password', 'authorization_code', 'refresh_token', 'CLIENT_CREDENTIALS'])(
      'refuses grant_type=%s: 400 unsupported_grant_type',
      async (grantType) => {
        const body = form([
          ['grant_type', grantType],
          ['client_id', client.clientId],
          ['client_secret', client.clientSecret],
        ]);
        expectTokenError(await tokenRequest(app, body), 400, 'unsupported_grant_type');
      },
    );

    it.each(['grant_type', 'scope', 'client_id', 'client_secret', 'unknown_thing'])(
      'refuses %s sent twice: 400 invalid_request',
      async (name) => {
        const pairs: [string, string][] = [
          ['grant_type', 'client_credentials'],
          ['client_id', client.clientId],
          ['client_secret', client.clientSecret],
          ['scope', 'notes:read'],
          ['unknown_thing', 'x'],
        ];
        // The same value again: a repeat is refused even when it agrees with the first.
        const response = await tokenRequest(app, form([...pairs, pairs.find(([n]) => n === name)!]));
        expectTokenError(response, 400, 'invalid_request');
      },
    );

    it('refuses two authentication methods at once: 400 invalid_request', async () => {
      const response = await tokenRequest(app, postCredentials(client), {
        Authorization: basic(client.clientId, client.clientSecret),
      });
      expectTokenError(response, 400, 'invalid_request');
      const mismatch = await tokenRequest(
        app,
        form([
          ['grant_type', 'client_credentials'],
          ['client_id', 'gcl_AAAAAAAAAAAAAAAAAAAAAA'],
        ]),
        {
          Authorization: basic(client.clientId, client.clientSecret),
        },
      );
      expectTokenError(mismatch, 400, 'invalid_request');
    });

    it('refuses a malformed Basic header: 400 invalid_request', async () => {
      const grant = form([['grant_type', 'client_credentials']]);
      for (const header of [
        'Basic !!!',
        'Basic Zm9v',
        `Basic ${Buffer.from('a%zz:b').toString('base64')}`,
        'Basic /w==',
      ]) {
        expectTokenError(await tokenRequest(app, grant, { Authorization: header }), 400, 'invalid_request');
      }
    });

    it('refuses a request without client authentication: 401 invalid_client', async () => {
      const noAuth = [
        form([['grant_type', 'client_credentials']]),
        form([
          ['grant_type', 'client_credentials'],
          ['client_id', client.clientId],
        ]),
        form([
          ['grant_type', 'client_credentials'],
          ['client_secret', client.clientSecret],
        ]),
      ];
      for (const body of noAuth) expectTokenError(await tokenRequest(app, body), 401, 'invalid_client');
      const bearer = await tokenRequest(app, form([['grant_type', 'client_credentials']]), {
        Authorization: `Bearer ${admin.accessToken}`,
      });
      expectTokenError(bearer, 401, 'invalid_client');
    });

    it('an unknown client or a wrong secret: 401 invalid_client, challenged with Basic when Basic was used', async () => {
      const grant = form([['grant_type', 'client_credentials']]);
      const attempts = [
        await tokenRequest(app, grant, { Authorization: basic(client.clientId, 'not the secret') }),
        await tokenRequest(app, grant, {
          Authorization: basic('gcl_AAAAAAAAAAAAAAAAAAAAAA', client.clientSecret),
        }),
        await tokenRequest(app, grant, { Authorization: basic('someone', 'something') }),
      ];
      for (const response of attempts) {
        expectTokenError(response, 401, 'invalid_client');
        expect(response.headers['www-authenticate']).toBe('Basic realm="gatehouse"');
        expect(response.body).toEqual(attempts[0].body);
      }
      const posted = await tokenRequest(app, postCredentials({ ...client, clientSecret: 'not the secret' }));
      expectTokenError(posted, 401, 'invalid_client');
      expect(posted.body).toEqual(attempts[0].body);
      const failures = app.logs.lines.filter((line) => line.includes('"client.auth_failed"'));
      expect(
        failures.some((line) => line.includes(client.clientId) && line.includes('client_secret_basic')),
      ).toBe(true);
    });

    it('refuses a scope that is not declared, not granted, or malformed: 400 invalid_scope', async () => {
      for (const scope of [
        'notes:delete',
        'profile:read',
        'notes:read profile:read',
        'notes:read  notes:write',
        ' notes:read',
        'notes:"read"',
      ]) {
        expectTokenError(
          await tokenRequest(app, postCredentials(client, [['scope', scope]])),
          400,
          'invalid_scope',
        );
      }
    });

    it('takes a form only: a JSON or text body there is 400 invalid_request; elsewhere a form is still 415', async () => {
      const json = await app.http().post(TOKEN_PATH).send({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
      });
      expectTokenError(json, 400, 'invalid_request');
      const text = await app
        .http()
        .post(TOKEN_PATH)
        .set('Content-Type', 'text/plain')
        .send(postCredentials(client));
      expectTokenError(text, 400, 'invalid_request');
      const elsewhere = await app
        .http()
        .post('/api/auth/login')
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send('email=a&password=b');
      expect(elsewhere.status).toBe(415);
      // The route is known by what it matched, however its path is spelled.
      const spelled = await app.http().post('/api/oauth/%74oken').send({ grant_type: 'client_credentials' });
      expectTokenError(spelled, 400, 'invalid_request');
    });
  });

  describe('the token', () => {
    it('is an at+jwt for the client: sub = client_id, its scope, CLIENT_TOKEN_TTL long, no user; it verifies with the JWKS', async () => {
      const token = await clientToken(app, client, 'notes:read');
      const { header, payload } = decodeJwt(token);
      expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
      expect(payload).toEqual({
        iss: origin,
        sub: client.clientId,
        aud: AUDIENCE,
        client_id: client.clientId,
        scope: 'notes:read',
        iat: expect.any(Number),
        exp: expect.any(Number),
        jti: expect.any(String),
      });
      expect((payload.exp as number) - (payload.iat as number)).toBe(CLIENT_TOKEN_TTL);
      const jose = await importEsm<typeof Jose>('jose');
      const jwks = jose.createRemoteJWKSet(new URL(`${origin}/.well-known/jwks.json`));
      const verified = await jose.jwtVerify(token, jwks, {
        issuer: origin,
        audience: AUDIENCE,
        typ: 'at+jwt',
      });
      expect(verified.payload.client_id).toBe(client.clientId);
    });

    it('GET /api/auth/principal says who calls: {kind: client, userId: null, clientId, scopes}', async () => {
      const response = await principal(app, await clientToken(app, client)).expect(200);
      expect(response.body).toEqual({
        kind: 'client',
        userId: null,
        clientId: client.clientId,
        scopes: ['notes:read', 'notes:write'],
      });
    });

    it('a route that acts for a user answers 403, even with its scope granted; insufficient_scope without it', async () => {
      const token = await clientToken(app, client);
      const held = await app.http().get('/api/notes').set('Authorization', `Bearer ${token}`).expect(403);
      // The scope is held: the refusal is about the missing user, not the scope.
      expect(held.headers['www-authenticate']).toBeUndefined();
      // A scope the client does not hold is RFC 6750's insufficient_scope, naming it.
      const notHeld = await app
        .http()
        .get('/api/users/me')
        .set('Authorization', `Bearer ${token}`)
        .expect(403);
      expect(String(notHeld.headers['www-authenticate'])).toContain('error="insufficient_scope"');
      expect(String(notHeld.headers['www-authenticate'])).toContain('scope="profile:read"');
      await app
        .http()
        .post('/api/notes')
        .set('Authorization', `Bearer ${token}`)
        .send({ title: 'x' })
        .expect(403);
    });

    it('admin and sign-in management routes answer 403 insufficient_scope', async () => {
      const bearer = { Authorization: `Bearer ${await clientToken(app, client)}` };
      expectInsufficientScope(await app.http().get('/api/admin/users').set(bearer));
      expectInsufficientScope(await app.http().get('/api/admin/clients').set(bearer));
      expectInsufficientScope(
        await app
          .http()
          .post('/api/admin/clients')
          .set(bearer)
          .send({ name: 'x', scopes: ['notes:read'] }),
      );
      expectInsufficientScope(await app.http().get('/api/auth/sessions').set(bearer));
      expectInsufficientScope(await app.http().post('/api/auth/logout-all').set(bearer));
    });

    it('with a DPoP proof: token_type DPoP and cnf.jkt; refused as Bearer, accepted as DPoP with a proof', async () => {
      const key = await DpopKey.generate();
      const response = await tokenRequest(app, postCredentials(client), {
        DPoP: await key.proof('POST', `${origin}${TOKEN_PATH}`),
      }).expect(200);
      expect(response.body.token_type).toBe('DPoP');
      const token = response.body.access_token as string;
      expect(decodeJwt(token).payload.cnf).toEqual({ jkt: key.jkt });
      await principal(app, token).expect(401);
      const proven = await app
        .http()
        .get('/api/auth/principal')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', await key.proof('GET', `${origin}/api/auth/principal`, { accessToken: token }));
      expect(proven.status).toBe(200);
      expect(proven.body).toMatchObject({ kind: 'client', clientId: client.clientId });
    });

    it('a bad DPoP proof is 400 invalid_dpop_proof, and no token', async () => {
      const key = await DpopKey.generate();
      for (const proof of [
        await key.proof('POST', `${origin}/api/auth/login`),
        await key.proof('GET', `${origin}${TOKEN_PATH}`),
        'not a proof',
      ]) {
        expectTokenError(
          await tokenRequest(app, postCredentials(client), { DPoP: proof }),
          400,
          'invalid_dpop_proof',
        );
      }
      const replayed = await key.proof('POST', `${origin}${TOKEN_PATH}`);
      await tokenRequest(app, postCredentials(client), { DPoP: replayed }).expect(200);
      expectTokenError(
        await tokenRequest(app, postCredentials(client), { DPoP: replayed }),
        400,
        'invalid_dpop_proof',
      );
    });

    it('once the client is deleted, its tokens are 401 and its secret invalid_client', async () => {
      const doomed = await newClient(['notes:read']);
      const token = await clientToken(app, doomed);
      await principal(app, token).expect(200);
      await app.http().delete(`/api/admin/clients/${doomed.id}`).set(asAdmin()).expect(204);
      await principal(app, token).expect(401);
      expectTokenError(await tokenRequest(app, postCredentials(doomed)), 401, 'invalid_client');
    });
  });

  it('a wrong secret, an unknown client and the right secret take comparable time', async () => {
    const grant = form([['grant_type', 'client_credentials']]);
    const attempts = {
      right: basic(client.clientId, client.clientSecret),
      wrongSecret: basic(client.clientId, `${client.clientSecret.slice(0, -1)}A`),
      unknownClient: basic('gcl_AAAAAAAAAAAAAAAAAAAAAA', client.clientSecret),
    };
    const times: Record<keyof typeof attempts, number[]> = { right: [], wrongSecret: [], unknownClient: [] };
    const kinds = Object.keys(attempts) as (keyof typeof attempts)[];
    for (let i = 0; i < 31; i++) {
      // Each kind takes each place in the order in turn, so none is always timed in another's wake.
      for (let j = 0; j < kinds.length; j++) {
        const which = kinds[(i + j) % kinds.length];
        const started = process.hrtime.bigint();
        const response = await tokenRequest(app, grant, { Authorization: attempts[which] });
        times[which].push(Number(process.hrtime.bigint() - started) / 1e6);
        expect(response.status).toBe(which === 'right' ? 200 : 401);
      }
    }
    const [right, wrongSecret, unknownClient] = kinds.map((which) => median(times[which]));
    // Generous: a ratio within 2×, or a difference under 3 ms (a few ms is all one request takes here).
    const comparable = (a: number, b: number) => Math.abs(a - b) < 3 || (a / b > 0.5 && a / b < 2);
    expect({ wrongSecret, unknownClient, comparable: comparable(wrongSecret, unknownClient) }).toMatchObject({
      comparable: true,
    });
    expect({ wrongSecret, right, comparable: comparable(wrongSecret, right) }).toMatchObject({
      comparable: true,
    });
  });

  describe('discovery (RFC 8414)', () => {
    it('GET /.well-known/oauth-authorization-server describes the token endpoint, keys, scopes and DPoP', async () => {
      const response = await app.http().get('/.well-known/oauth-authorization-server').expect(200);
      expect(response.headers['cache-control']).toMatch(/max-age=\d+/);
      const scopes = (await app.http().get('/api/auth/scopes').expect(200)).body.map(
        (s: { scope: string }) => s.scope,
      );
      expect(response.body).toEqual({
        issuer: origin,
        token_endpoint: `${origin}/api/oauth/token`,
        jwks_uri: `${origin}/.well-known/jwks.json`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        scopes_supported: scopes,
        dpop_signing_alg_values_supported: expect.arrayContaining(['ES256']),
        response_types_supported: [],
      });
      expect(scopes).toEqual(expect.arrayContaining(['notes:read', 'notes:write', 'profile:read']));
      await app.http().get('/api/.well-known/oauth-authorization-server').expect(404);
    });

    it('a standard OAuth client gets a token from the issuer alone; a resource server verifies it from the document alone', async () => {
      const openid = await importEsm<typeof OpenIdClient>('openid-client');
      const jose = await importEsm<typeof Jose>('jose');
      const config = await openid.discovery(
        new URL(origin),
        client.clientId,
        client.clientSecret,
        undefined,
        {
          algorithm: 'oauth2',
          execute: [openid.allowInsecureRequests],
        },
      );
      const tokens = await openid.clientCredentialsGrant(config, { scope: 'notes:write' });
      expect(tokens.token_type).toBe('bearer');
      expect(tokens.scope).toBe('notes:write');

      const metadata = (await (await fetch(`${origin}/.well-known/oauth-authorization-server`)).json()) as {
        issuer: string;
        jwks_uri: string;
      };
      const jwks = jose.createRemoteJWKSet(new URL(metadata.jwks_uri));
      const { payload } = await jose.jwtVerify(tokens.access_token, jwks, {
        issuer: metadata.issuer,
        audience: AUDIENCE,
        typ: 'at+jwt',
      });
      expect(payload).toMatchObject({
        sub: client.clientId,
        client_id: client.clientId,
        scope: 'notes:write',
      });

      // client_secret_basic too, as the document offers it.
      const viaBasic = await openid.discovery(
        new URL(origin),
        client.clientId,
        undefined,
        openid.ClientSecretBasic(client.clientSecret),
        {
          algorithm: 'oauth2',
          execute: [openid.allowInsecureRequests],
        },
      );
      expect((await openid.clientCredentialsGrant(viaBasic)).scope).toBe('notes:read notes:write');
    });
  });

  if (kind === 'postgres') {
    describe('two instances on one database', () => {
      let peer: TestApp;

      beforeAll(async () => {
        peer = await TestApp.startPeer(app);
      }, 60_000);
      afterAll(async () => {
        await peer?.stop();
      });

      it('a client deleted on A has its token refused on B within 2 s, and its secret refused on B', async () => {
        const doomed = await newClient(['notes:read']);
        const token = await clientToken(app, doomed);
        await principal(peer, token).expect(200);
        await app.http().delete(`/api/admin/clients/${doomed.id}`).set(asAdmin()).expect(204);
        const since = Date.now();
        let status = 200;
        let sentAfterMs = 0;
        while (status === 200 && sentAfterMs < PROPAGATION_MS) {
          sentAfterMs = Date.now() - since;
          status = (await principal(peer, token)).status;
          if (status === 200) await sleep(100);
        }
        expect({ status, withinTime: sentAfterMs <= PROPAGATION_MS }).toEqual({
          status: 401,
          withinTime: true,
        });
        expectTokenError(await tokenRequest(peer, postCredentials(doomed)), 401, 'invalid_client');
      });

      it('an instance started after the deletion refuses the token too (it reads recent deletions)', async () => {
        const doomed = await newClient(['notes:read']);
        const token = await clientToken(app, doomed);
        await app.http().delete(`/api/admin/clients/${doomed.id}`).set(asAdmin()).expect(204);
        const late = await TestApp.startPeer(app);
        try {
          await principal(late, token).expect(401);
        } finally {
          await late.stop();
        }
      }, 60_000);
    });
  }

  it('never logs a client secret or a token', () => {
    const leaking = app.logs.lines.filter(
      (line) => secrets.some((secret) => line.includes(secret)) || /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/.test(line),
    );
    expect(leaking).toEqual([]);
  });
});

// The DPOP settings apply at the token endpoint as at sign-in; what is under test is the same on either database.
describe('DPOP settings at the token endpoint [PGlite]', () => {
  const PUBLIC_URL = 'http://localhost:4999';
  const clientId = 'gcl_ZHBvcC1zZXR0aW5ncy1jbGk';
  const clientSecret = 'a-fixed-secret-for-the-dpop-settings-suite-0001';
  const tokenUrl = `${PUBLIC_URL}${TOKEN_PATH}`;
  const credentials = postCredentials({ id: '', clientId, clientSecret, scopes: [] });

  async function appWith(env: Record<string, string>): Promise<TestApp> {
    const started = await TestApp.start('pglite', { env: { PUBLIC_URL, ...env } });
    await started.query(
      `INSERT INTO service_clients (client_id, name, secret_hash, scopes) VALUES ($1, 'dpop', $2, $3)`,
      [clientId, createHash('sha256').update(clientSecret).digest(), ['notes:read']],
    );
    return started;
  }

  it('DPOP=off ignores a proof: a bearer token', async () => {
    const app = await appWith({ DPOP: 'off' });
    try {
      const key = await DpopKey.generate();
      const response = await tokenRequest(app, credentials, { DPoP: await key.proof('POST', tokenUrl) });
      expect(response.status).toBe(200);
      expect(response.body.token_type).toBe('Bearer');
      expect(decodeJwt(response.body.access_token as string).payload.cnf).toBeUndefined();
    } finally {
      await app.stop();
    }
  }, 60_000);

  it('DPOP=required refuses a request without a proof: 400 invalid_dpop_proof', async () => {
    const app = await appWith({ DPOP: 'required' });
    try {
      expectTokenError(await tokenRequest(app, credentials), 400, 'invalid_dpop_proof');
      const key = await DpopKey.generate();
      const bound = await tokenRequest(app, credentials, { DPoP: await key.proof('POST', tokenUrl) });
      expect(bound.status).toBe(200);
      expect(bound.body.token_type).toBe('DPoP');
    } finally {
      await app.stop();
    }
  }, 60_000);

  it('DPOP_NONCES=true asks for the server’s nonce (use_dpop_nonce), then binds', async () => {
    const app = await appWith({ DPOP_NONCES: 'true' });
    try {
      const key = await DpopKey.generate();
      const first = await tokenRequest(app, credentials, { DPoP: await key.proof('POST', tokenUrl) });
      expectTokenError(first, 400, 'use_dpop_nonce');
      const nonce = first.headers['dpop-nonce'];
      expect(nonce).toEqual(expect.any(String));
      const second = await tokenRequest(app, credentials, {
        DPoP: await key.proof('POST', tokenUrl, { nonce }),
      });
      expect(second.status).toBe(200);
      expect(second.body.token_type).toBe('DPoP');
      expect(second.headers['dpop-nonce']).toEqual(expect.any(String));
      // Without a proof the nonce is not asked for: the client chose a bearer token.
      expect((await tokenRequest(app, credentials)).body.token_type).toBe('Bearer');
    } finally {
      await app.stop();
    }
  }, 60_000);
});
