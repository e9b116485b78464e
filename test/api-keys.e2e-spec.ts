import { randomBytes, randomUUID } from 'node:crypto';
import { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { READS_PER_ADDRESS } from '../libs/auth/src/machine/api-keys/api-key-authenticator';
import { ApiKeyUsage } from '../libs/auth/src/machine/api-keys/api-key-usage';
import { installQueryCounter, QueryCounter } from '../bench/query-counter';
import { VERDICT_TTL_MS } from '../libs/auth/src/machine/api-keys/api-key-verdicts';
import { HttpTarget, LoggedIn, login, register, uniqueEmail } from './support/auth-client';
import { describeEachDatabase, redisUrl, serverUrl } from './support/databases';
import { expectNestError } from './support/expectations';
import { outboxMessages, sentTo } from './support/outbox';
import { TestApp } from './support/test-app';
import { signUpVerified } from './support/verified-sign-up';

/**
 * API keys, from outside: made only with a recent sign-in on a verified address, shown once and kept as a hash,
 * good on the routes their scopes open and nowhere else, refused once deleted, expired or their user disabled
 * (on every instance within 2 s), throttled per key, and read from the database at most once a minute.
 */
const REAUTH_MAX_AGE_SECONDS = 3;
const KEY_LIMIT = 8;
const ADMIN_PASSWORD = 'the gatehouse administrator passphrase';
const PROPAGATION_MS = 2000;
/** The two-instance block's per-key limit: above the 21 requests a 2 s poll sends, below what two instances alone would allow. */
const SHARED_LIMIT = 30;
const KEY_TEXT = /^gat_[A-Za-z0-9_-]{43,}$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const bearer = (credential: string) => `Bearer ${credential}`;

interface CreatedKey {
  id: string;
  key: string;
  [field: string]: unknown;
}

function createKey(app: HttpTarget, session: LoggedIn, body: object): Promise<Response> {
  return app.http().post('/api/auth/api-keys').set('Authorization', bearer(session.accessToken)).send(body);
}

async function newKey(
  app: HttpTarget,
  session: LoggedIn,
  scopes: string[],
  extra: object = {},
): Promise<CreatedKey> {
  const response = await createKey(app, session, { name: `key ${randomUUID()}`, scopes, ...extra });
  if (response.status !== 201)
    throw new Error(`key not created: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as CreatedKey;
}

const withKey = (app: HttpTarget, key: string) => ({
  get: (path: string) => app.http().get(path).set('Authorization', bearer(key)),
  post: (path: string, body: object = {}) =>
    app.http().post(path).set('Authorization', bearer(key)).send(body),
  delete: (path: string) => app.http().delete(path).set('Authorization', bearer(key)),
});

function expectInsufficientScope(response: Response, scope?: string): void {
  expect(response.status).toBe(403);
  expectNestError(response.body, 403);
  const header = String(response.headers['www-authenticate']);
  expect(header).toMatch(/^Bearer /);
  expect(header).toContain('error="insufficient_scope"');
  if (scope) expect(header).toContain(`scope="${scope}"`);
}

/** Asks `peer` with the key every 100 ms until it is refused or 2 s have passed since `since`. */
async function expectRefusedWithin2s(peer: HttpTarget, key: string, since: number): Promise<void> {
  for (;;) {
    const sentAfterMs = Date.now() - since;
    const response = await withKey(peer, key).get('/api/notes');
    if (response.status !== 200 || sentAfterMs >= PROPAGATION_MS) {
      expect(response.status).toBe(401);
      expect(sentAfterMs).toBeLessThanOrEqual(PROPAGATION_MS);
      return;
    }
    await sleep(100);
  }
}

const VERDICT_READ = /FROM api_keys k JOIN users u/;

/**
 * Counts the statements that read a key's verdict, as the bench counts statements: every `pg` client's queries
 * on a PostgreSQL server (the pool and the LISTEN connection alike); on PGlite, which has no `pg` client, what the
 * app sends through its DataSource.
 */
function countVerdictReads(app: TestApp): { count: () => number; stop: () => void } {
  if (app.kind === 'postgres') {
    pgStatements ??= installQueryCounter();
    pgStatements.reset();
    const counter = pgStatements;
    const count = () =>
      counter
        .read()
        .statements.filter((statement) => VERDICT_READ.test(statement.text))
        .reduce((sum, statement) => sum + statement.count, 0);
    return { count, stop: () => counter.reset() };
  }
  const dataSource = app.app.get(DataSource);
  const original = dataSource.query.bind(dataSource);
  let reads = 0;
  dataSource.query = ((sql: string, ...rest: unknown[]) => {
    if (VERDICT_READ.test(sql)) reads++;
    return (original as (...args: unknown[]) => Promise<unknown>)(sql, ...rest);
  }) as DataSource['query'];
  return { count: () => reads, stop: () => void (dataSource.query = original) };
}
/** The bench's counter of every `pg` client's statements, installed once in this file's module registry. */
let pgStatements: QueryCounter | undefined;

describeEachDatabase('API keys', (kind) => {
  const adminEmail = `admin-${randomUUID()}@example.com`;
  let app: TestApp;
  let owner: LoggedIn;
  let admin: LoggedIn;

  beforeAll(async () => {
    app = await TestApp.start(kind, {
      env: {
        ADMIN_EMAIL: adminEmail,
        ADMIN_PASSWORD,
        REAUTH_MAX_AGE: `${REAUTH_MAX_AGE_SECONDS}s`,
        THROTTLE_API_KEY_LIMIT: String(KEY_LIMIT),
        THROTTLE_RECOVERY_LIMIT: '1000',
      },
    });
    admin = await login(app, adminEmail, ADMIN_PASSWORD);
  });
  beforeEach(async () => {
    owner = await signUpVerified(app);
  });
  afterAll(async () => {
    await app?.stop();
  });

  describe('POST /api/auth/api-keys', () => {
    it('shows the key once, keeps only its hash, and tells the owner', async () => {
      const response = await createKey(app, owner, { name: 'nightly export', scopes: ['notes:read'] });
      expect(response.status).toBe(201);
      expect(response.headers['cache-control']).toBe('no-store');
      const created = response.body as CreatedKey;
      expect(Object.keys(created).sort()).toEqual(
        ['createdAt', 'expiresAt', 'id', 'key', 'lastUsedAt', 'name', 'prefix', 'scopes'].sort(),
      );
      expect(created).toMatchObject({
        name: 'nightly export',
        scopes: ['notes:read'],
        expiresAt: null,
        lastUsedAt: null,
      });
      expect(created.key).toMatch(KEY_TEXT);
      expect(Buffer.from(created.key.slice(4), 'base64url').length).toBeGreaterThanOrEqual(32);
      expect(created.key.startsWith(created.prefix as string)).toBe(true);
      expect((created.prefix as string).length).toBeLessThan(created.key.length / 2);

      const rows = await app.query('SELECT * FROM api_keys WHERE id = $1', [created.id]);
      expect(rows).toHaveLength(1);
      const stored = JSON.stringify(rows[0], (_k, value: unknown) =>
        Buffer.isBuffer(value) ? value.toString('base64url') : value,
      );
      expect(stored).not.toContain(created.key.slice(4));
      expect(stored).not.toContain(created.key.slice(12));

      const listed = await app
        .http()
        .get('/api/auth/api-keys')
        .set('Authorization', bearer(owner.accessToken));
      expect(listed.status).toBe(200);
      expect(listed.body).toHaveLength(1);
      expect(listed.body[0]).toEqual({ ...created, key: undefined, lastUsedAt: null });
      expect(listed.body[0]).not.toHaveProperty('key');

      const deadline = Date.now() + 10_000;
      for (;;) {
        const notices = (await outboxMessages(app)).filter(
          (mail) => sentTo(owner.email)(mail) && /API key was created/.test(mail.subject ?? ''),
        );
        if (notices.length > 0) {
          expect(notices[0].text).not.toContain(created.key);
          break;
        }
        if (Date.now() > deadline) throw new Error('no notice of the new key');
        await sleep(100);
      }
    });

    it('sets expiresAt from expiresIn', async () => {
      const before = Date.now();
      const created = await newKey(app, owner, ['notes:read'], { expiresIn: 3600 });
      const expiresAt = new Date(created.expiresAt as string).getTime();
      expect(expiresAt).toBeGreaterThanOrEqual(before + 3600_000 - 2000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000 + 2000);
    });

    it('needs a recent sign-in: an older one answers RFC 9470’s 401', async () => {
      await sleep(REAUTH_MAX_AGE_SECONDS * 1000 + 1200);
      const response = await createKey(app, owner, { name: 'late', scopes: ['notes:read'] });
      expect(response.status).toBe(401);
      expect(String(response.headers['www-authenticate'])).toContain(
        'error="insufficient_user_authentication"',
      );
      expect(await app.query('SELECT id FROM api_keys WHERE user_id = $1', [owner.userId])).toEqual([]);
    });

    it('needs a verified address', async () => {
      const email = uniqueEmail();
      await register(app, email);
      const unverified = await login(app, email);
      const response = await createKey(app, unverified, { name: 'early', scopes: ['notes:read'] });
      expect(response.status).toBe(403);
      expect(response.body.message).toBe('email not verified');
    });

    it.each([
      ['an unknown scope', { name: 'k', scopes: ['notes:everything'] }],
      ['no scope', { name: 'k', scopes: [] }],
      ['a repeated scope', { name: 'k', scopes: ['notes:read', 'notes:read'] }],
      ['scopes that are not a list', { name: 'k', scopes: 'notes:read' }],
      ['no name', { scopes: ['notes:read'] }],
      ['a blank name', { name: '', scopes: ['notes:read'] }],
      ['a name of 101 characters', { name: 'n'.repeat(101), scopes: ['notes:read'] }],
      ['expiresIn 0', { name: 'k', scopes: ['notes:read'], expiresIn: 0 }],
      ['a fractional expiresIn', { name: 'k', scopes: ['notes:read'], expiresIn: 1.5 }],
      ['expiresIn beyond ten years', { name: 'k', scopes: ['notes:read'], expiresIn: 400_000_000 }],
      ['an unknown property', { name: 'k', scopes: ['notes:read'], userId: randomUUID() }],
    ])('refuses %s with 400', async (_case, body) => {
      const response = await createKey(app, owner, body);
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
    });
  });

  describe('a key on the routes', () => {
    it('reaches the routes its scopes open, as its user, and no other', async () => {
      const reader = await newKey(app, owner, ['notes:read']);
      const writer = await newKey(app, owner, ['notes:write', 'profile:read']);

      const made = await withKey(app, writer.key).post('/api/notes', { title: 'from a script' });
      expect(made.status).toBe(201);
      const listed = await withKey(app, reader.key).get('/api/notes');
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((note: { id: string }) => note.id)).toEqual([made.body.id]);
      // The note is the user's own: their session sees it.
      const mine = await app
        .http()
        .get(`/api/notes/${made.body.id}`)
        .set('Authorization', bearer(owner.accessToken));
      expect(mine.status).toBe(200);

      expectInsufficientScope(
        await withKey(app, reader.key).post('/api/notes', { title: 'no' }),
        'notes:write',
      );
      expectInsufficientScope(await withKey(app, reader.key).get('/api/users/me'), 'profile:read');
      expectInsufficientScope(await withKey(app, writer.key).get('/api/notes'), 'notes:read');
      const profile = await withKey(app, writer.key).get('/api/users/me');
      expect(profile.status).toBe(200);
      expect(profile.body.id).toBe(owner.userId);
    });

    it('never reaches sign-in management or admin routes, whatever its scopes', async () => {
      const all = ['notes:read', 'notes:write', 'profile:read', 'profile:write'];
      // Two keys taking turns: every request counts against its key's limit, refused ones too.
      const ownKeys = [(await newKey(app, owner, all)).key, (await newKey(app, owner, all)).key];
      let turn = 0;
      const keyOf = () => ownKeys[turn++ % 2];
      const adminKey = (await newKey(app, await login(app, adminEmail, ADMIN_PASSWORD), all)).key;
      const calls: [string, () => Promise<Response>][] = [
        ['GET sessions', () => withKey(app, keyOf()).get('/api/auth/sessions')],
        ['DELETE a session', () => withKey(app, keyOf()).delete(`/api/auth/sessions/${randomUUID()}`)],
        ['logout-all', () => withKey(app, keyOf()).post('/api/auth/logout-all')],
        [
          'password',
          () => withKey(app, keyOf()).post('/api/auth/password', { currentPassword: 'x', newPassword: 'y' }),
        ],
        ['list keys', () => withKey(app, keyOf()).get('/api/auth/api-keys')],
        [
          'make a key',
          () => withKey(app, keyOf()).post('/api/auth/api-keys', { name: 'k', scopes: ['notes:read'] }),
        ],
        ['delete a key', () => withKey(app, keyOf()).delete(`/api/auth/api-keys/${randomUUID()}`)],
        ['verification resend', () => withKey(app, keyOf()).post('/api/auth/verify-email/resend')],
        ['passkeys', () => withKey(app, keyOf()).get('/api/auth/passkeys')],
        ['totp setup', () => withKey(app, keyOf()).post('/api/auth/mfa/totp/setup')],
        ['reauthenticate', () => withKey(app, keyOf()).post('/api/auth/reauthenticate', { password: 'x' })],
        [
          'email change',
          () =>
            withKey(app, keyOf()).post('/api/users/me/email', {
              newEmail: uniqueEmail(),
              currentPassword: 'x',
            }),
        ],
        ['admin users (admin key)', () => withKey(app, adminKey).get('/api/admin/users')],
        [
          'admin disable (admin key)',
          () => withKey(app, adminKey).post(`/api/admin/users/${owner.userId}/disable`),
        ],
        ['admin clients (admin key)', () => withKey(app, adminKey).get('/api/admin/clients')],
      ];
      for (const [name, call] of calls) {
        const response = await call();
        try {
          expectInsufficientScope(response);
        } catch (error) {
          throw new Error(`${name}: ${response.status} ${JSON.stringify(response.body)}: ${String(error)}`);
        }
      }
      // Nothing happened: the owner's session and the admin's target are as they were.
      await app.http().get('/api/users/me').set('Authorization', bearer(owner.accessToken)).expect(200);
    });

    it('says who it is at GET /api/auth/principal; a user’s own session holds every scope', async () => {
      const created = await newKey(app, owner, ['notes:read']);
      const principal = await withKey(app, created.key).get('/api/auth/principal');
      expect(principal.status).toBe(200);
      expect(principal.body).toEqual({
        kind: 'apiKey',
        userId: owner.userId,
        clientId: created.id,
        scopes: ['notes:read'],
      });

      const scopes = await app.http().get('/api/auth/scopes').expect(200);
      const names = (scopes.body as { scope: string; description: string }[]).map((entry) => entry.scope);
      expect(names).toEqual(
        expect.arrayContaining(['notes:read', 'notes:write', 'profile:read', 'profile:write']),
      );
      for (const entry of scopes.body) expect(typeof entry.description).toBe('string');
      const own = await app.http().get('/api/auth/principal').set('Authorization', bearer(owner.accessToken));
      expect(own.body).toEqual({ kind: 'user', userId: owner.userId, clientId: null, scopes: names });
    });

    it('refuses a made-up, truncated or DPoP-presented key, and no key is ever a JWT', async () => {
      const { key } = await newKey(app, owner, ['notes:read']);
      for (const wrong of [`gat_${'A'.repeat(43)}`, key.slice(0, -1), `${key}x`, 'gat_', key.toLowerCase()]) {
        const response = await withKey(app, wrong).get('/api/notes');
        expect(response.status).toBe(401);
        expectNestError(response.body, 401);
      }
      const asDpop = await app.http().get('/api/notes').set('Authorization', `DPoP ${key}`);
      expect(asDpop.status).toBe(401);
      await withKey(app, key).get('/api/notes').expect(200);
    });
  });

  describe('the end of a key', () => {
    it('a deleted key is refused at once; another user cannot delete it', async () => {
      const { id, key } = await newKey(app, owner, ['notes:read']);
      await withKey(app, key).get('/api/notes').expect(200);
      const stranger = await signUpVerified(app);
      await app
        .http()
        .delete(`/api/auth/api-keys/${id}`)
        .set('Authorization', bearer(stranger.accessToken))
        .expect(404);
      await withKey(app, key).get('/api/notes').expect(200);
      await app
        .http()
        .delete('/api/auth/api-keys/not-a-uuid')
        .set('Authorization', bearer(owner.accessToken))
        .expect(400);

      await app
        .http()
        .delete(`/api/auth/api-keys/${id}`)
        .set('Authorization', bearer(owner.accessToken))
        .expect(204);
      await withKey(app, key).get('/api/notes').expect(401);
      await app
        .http()
        .delete(`/api/auth/api-keys/${id}`)
        .set('Authorization', bearer(owner.accessToken))
        .expect(404);
      const listed = await app
        .http()
        .get('/api/auth/api-keys')
        .set('Authorization', bearer(owner.accessToken));
      expect(listed.body).toEqual([]);
    });

    it('an expired key is refused, though its verdict was cached while it was good', async () => {
      const { key } = await newKey(app, owner, ['notes:read'], { expiresIn: 1 });
      await withKey(app, key).get('/api/notes').expect(200);
      await sleep(1200);
      await withKey(app, key).get('/api/notes').expect(401);
    });

    it('a disabled user’s keys are refused until the account is enabled again', async () => {
      const { key } = await newKey(app, owner, ['notes:read']);
      await withKey(app, key).get('/api/notes').expect(200);
      const adminCall = (action: string) =>
        app
          .http()
          .post(`/api/admin/users/${owner.userId}/${action}`)
          .set('Authorization', bearer(admin.accessToken));
      await adminCall('disable').expect(204);
      await withKey(app, key).get('/api/notes').expect(401);
      await adminCall('enable').expect(204);
      await withKey(app, key).get('/api/notes').expect(200);
    });
  });

  describe('limits and costs', () => {
    it(`throttles each key alone: request ${KEY_LIMIT + 1} is 429 with Retry-After`, async () => {
      const first = (await newKey(app, owner, ['notes:read'])).key;
      const second = (await newKey(app, owner, ['notes:read'])).key;
      for (let i = 0; i < KEY_LIMIT; i++) await withKey(app, first).get('/api/notes').expect(200);
      const over = await withKey(app, first).get('/api/notes');
      expect(over.status).toBe(429);
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      await withKey(app, second).get('/api/notes').expect(200);
      await app.http().get('/api/notes').set('Authorization', bearer(owner.accessToken)).expect(200);
    });

    it('reads a key from the database once, however many requests use it at once', async () => {
      const keys = await Promise.all([1, 2, 3].map(() => newKey(app, owner, ['notes:read'])));
      const reads = countVerdictReads(app);
      try {
        // Each key within its own limit: concurrent first uses share one read, later ones use the verdict.
        const responses = await Promise.all(
          keys.flatMap(({ key }) =>
            Array.from({ length: KEY_LIMIT - 1 }, () => withKey(app, key).get('/api/notes')),
          ),
        );
        expect(responses.map((response) => response.status)).toEqual(responses.map(() => 200));
        expect(reads.count()).toBe(keys.length);
        expect(VERDICT_TTL_MS).toBeLessThanOrEqual(60_000);
      } finally {
        reads.stop();
      }
    });

    it('marks lastUsedAt off the request path, at most once a minute', async () => {
      const { id, key } = await newKey(app, owner, ['notes:read']);
      await withKey(app, key).get('/api/notes').expect(200);
      const usage = app.app.get(ApiKeyUsage);
      await usage.flush();
      const [first] = await app.query<{ last_used_at: Date | null }>(
        'SELECT last_used_at FROM api_keys WHERE id = $1',
        [id],
      );
      expect(first.last_used_at).not.toBeNull();
      await withKey(app, key).get('/api/notes').expect(200);
      await usage.flush();
      const [second] = await app.query<{ last_used_at: Date | null }>(
        'SELECT last_used_at FROM api_keys WHERE id = $1',
        [id],
      );
      expect(new Date(second.last_used_at!).getTime()).toBe(new Date(first.last_used_at!).getTime());
      const listed = await app
        .http()
        .get('/api/auth/api-keys')
        .set('Authorization', bearer(owner.accessToken));
      expect(new Date(listed.body[0].lastUsedAt).getTime()).toBe(new Date(first.last_used_at!).getTime());
    });

    // Last in this app: it spends the address's database reads of keys for the minute.
    it(`answers 429 to an address past ${READS_PER_ADDRESS} made-up keys a minute, keys in use unharmed`, async () => {
      const inUse = (await newKey(app, owner, ['notes:read'])).key;
      await withKey(app, inUse).get('/api/notes').expect(200);
      // Earlier tests of this minute spent some of the address's reads already: count until the first 429.
      const madeUp = () => withKey(app, `gat_${randomBytes(32).toString('base64url')}`).get('/api/notes');
      let refusedAsUnknown = 0;
      let status = 401;
      while (status === 401 && refusedAsUnknown <= READS_PER_ADDRESS) {
        status = (await madeUp()).status;
        if (status === 401) refusedAsUnknown++;
      }
      expect(status).toBe(429);
      expect(refusedAsUnknown).toBeGreaterThan(0);
      expect(refusedAsUnknown).toBeLessThanOrEqual(READS_PER_ADDRESS);
      for (let i = 0; i < 3; i++) expect((await madeUp()).status).toBe(429);
      const refused = await withKey(app, `gat_${randomBytes(32).toString('base64url')}`).get('/api/notes');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      // A key whose verdict is cached costs no read: it keeps working.
      await withKey(app, inUse).get('/api/notes').expect(200);
    });
  });
});

// Two instances share a PostgreSQL server; the embedded database is one process (CI always has the server).
if (serverUrl)
  describe('API keys across instances [PostgreSQL]', () => {
    const adminEmail = `admin-${randomUUID()}@example.com`;
    let a: TestApp;
    let b: TestApp;
    let admin: LoggedIn;

    beforeAll(async () => {
      // With Redis (CI always has one), a key's requests are counted once for both instances.
      const env = {
        ADMIN_EMAIL: adminEmail,
        ADMIN_PASSWORD,
        THROTTLE_API_KEY_LIMIT: String(SHARED_LIMIT),
        REDIS_URL: redisUrl,
      };
      a = await TestApp.start('postgres', { env });
      b = await TestApp.startPeer(a);
      admin = await login(a, adminEmail, ADMIN_PASSWORD);
    });
    afterAll(async () => {
      await b?.stop();
      await a?.stop();
    });

    if (redisUrl) {
      it(`counts a key's requests across instances through Redis: request ${SHARED_LIMIT + 1} is 429`, async () => {
        const owner = await signUpVerified(a);
        const { key } = await newKey(a, owner, ['notes:read']);
        for (let i = 0; i < SHARED_LIMIT; i++)
          await withKey(i % 2 === 0 ? a : b, key)
            .get('/api/notes')
            .expect(200);
        const over = await withKey(b, key).get('/api/notes');
        expect(over.status).toBe(429);
        expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
        await withKey(a, key).get('/api/notes').expect(429);
      });
    }

    it('a key deleted on A is refused on B within 2 s, though B had its verdict cached', async () => {
      const owner = await signUpVerified(a);
      const { id, key } = await newKey(a, owner, ['notes:read']);
      await withKey(b, key).get('/api/notes').expect(200);
      await a
        .http()
        .delete(`/api/auth/api-keys/${id}`)
        .set('Authorization', bearer(owner.accessToken))
        .expect(204);
      await expectRefusedWithin2s(b, key, Date.now());
    });

    it('a user disabled on A has their keys refused on B within 2 s, and enabled again', async () => {
      const owner = await signUpVerified(a);
      const { key } = await newKey(a, owner, ['notes:read']);
      await withKey(b, key).get('/api/notes').expect(200);
      await a
        .http()
        .post(`/api/admin/users/${owner.userId}/disable`)
        .set('Authorization', bearer(admin.accessToken))
        .expect(204);
      await expectRefusedWithin2s(b, key, Date.now());
      await a
        .http()
        .post(`/api/admin/users/${owner.userId}/enable`)
        .set('Authorization', bearer(admin.accessToken))
        .expect(204);
      const deadline = Date.now() + PROPAGATION_MS;
      let status = 0;
      while (Date.now() <= deadline && status !== 200) {
        status = (await withKey(b, key).get('/api/notes')).status;
        if (status !== 200) await sleep(100);
      }
      expect(status).toBe(200);
    });
  });
