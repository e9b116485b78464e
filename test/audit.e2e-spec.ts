import { randomUUID } from 'node:crypto';
import { SessionCleaner } from '../libs/auth/src/tokens/session-cleaner';
import { LoggedIn, login, PASSWORD, refresh, refreshCookie, uniqueEmail } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { expectNestError } from './support/expectations';
import { TestMailbox } from './support/mailbox';
import { APP_URL } from './support/oauth-flow';
import { TestApp } from './support/test-app';
import { enrolTotp } from './support/totp';
import { signUpVerified } from './support/verified-sign-up';

/**
 * The account history: every security event stored in the transaction of the change it records, shown to the
 * account's owner and to administrators, kept AUDIT_RETENTION and no longer.
 */
const ADMIN_PASSWORD = 'an administrator passphrase for the history';
const RETENTION_DAYS = 2;
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) HistoryTest/1.0';
const NEW_PASSWORD = 'a different long passphrase for history';

interface Event {
  id: string;
  type: string;
  at: string;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
  userId?: string | null;
}

describeEachDatabase('the account history', (kind) => {
  const adminEmail = `admin-${randomUUID()}@example.com`;
  let mailbox: TestMailbox;
  let app: TestApp;
  let admin: LoggedIn;

  beforeAll(async () => {
    mailbox = await TestMailbox.start();
    app = await TestApp.start(kind, {
      env: {
        SMTP_URL: mailbox.url,
        APP_URL,
        ADMIN_EMAIL: adminEmail,
        ADMIN_PASSWORD,
        AUDIT_RETENTION: `${RETENTION_DAYS}d`,
        THROTTLE_LOGIN_LIMIT: '1000',
        THROTTLE_RECOVERY_LIMIT: '1000',
      },
    });
    admin = await login(app, adminEmail, ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.stop();
  });

  const bearer = (session: { accessToken: string }) => `Bearer ${session.accessToken}`;
  const activity = (session: { accessToken: string }, query = '') =>
    app.http().get(`/api/auth/activity${query}`).set('Authorization', bearer(session));
  const audit = (session: { accessToken: string }, query = '') =>
    app.http().get(`/api/admin/audit${query}`).set('Authorization', bearer(session));
  const eventsOf = async (session: { accessToken: string }, query = '?limit=100'): Promise<Event[]> =>
    (await activity(session, query).expect(200)).body.items as Event[];
  const typesOf = async (session: { accessToken: string }) => (await eventsOf(session)).map((e) => e.type);
  const storedTypes = async (userId: string) =>
    (
      await app.query<{ type: string }>('SELECT type FROM audit_events WHERE user_id = $1 ORDER BY id', [
        userId,
      ])
    ).map((row) => row.type);

  /** A verified user signed in from a browser the test names. */
  async function verifiedUser(prefix: string): Promise<LoggedIn> {
    const user = await signUpVerified(app, uniqueEmail(prefix), mailbox);
    const response = await app
      .http()
      .post('/api/auth/login')
      .set('User-Agent', BROWSER)
      .send({ email: user.email, password: PASSWORD })
      .expect(200);
    return {
      ...user,
      accessToken: response.body.accessToken,
      cookie: refreshCookie(response)!,
      response,
    };
  }

  /** Raises in the database on the next matching write, for as long as `during` runs. */
  async function failingWrites(table: string, condition: string, during: () => Promise<void>) {
    const name = `fail_${randomUUID().replace(/-/g, '')}`;
    await app.query(
      `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF ${condition} THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`,
    );
    await app.query(
      `CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`,
    );
    try {
      await during();
    } finally {
      await app.query(`DROP TRIGGER ${name} ON ${table}`);
      await app.query(`DROP FUNCTION ${name}()`);
    }
  }

  describe('GET /api/auth/activity', () => {
    it("lists the caller's own events newest first, with where they came from and never a secret", async () => {
      const user = await verifiedUser('history');
      const items = await eventsOf(user);

      // Registered, verified, signed in by the sign-up, then from a browser the account had not seen.
      expect(items.map((e) => e.type)).toEqual([
        'login.new_device',
        'login.succeeded',
        'login.succeeded',
        'email.verified',
        'account.created',
      ]);
      const ids = items.map((e) => BigInt(e.id));
      expect([...ids].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))).toEqual(ids);
      const latest = items[1];
      expect(Object.keys(latest).sort()).toEqual(['at', 'details', 'id', 'ip', 'type', 'userAgent']);
      expect(latest.userAgent).toBe(BROWSER);
      expect(latest.ip).toEqual(expect.any(String));
      expect(Math.abs(Date.parse(latest.at) - Date.now())).toBeLessThan(60_000);
      expect(latest.details).toMatchObject({ amr: ['pwd'], sessionId: expect.any(String) });
      const text = JSON.stringify(items);
      for (const secret of [PASSWORD, user.accessToken, user.cookie.split('=')[1]]) {
        expect(text).not.toContain(secret);
      }
    });

    it("shows nothing of another account's events", async () => {
      const one = await verifiedUser('mine');
      const other = await verifiedUser('theirs');
      await app.http().post('/api/auth/login').send({ email: other.email, password: 'wrong password!!' });

      const mine = await eventsOf(one);
      const theirs = await eventsOf(other);
      expect(theirs.map((e) => e.type)).toContain('login.failed');
      const theirIds = new Set(theirs.map((e) => e.id));
      expect(mine.filter((e) => theirIds.has(e.id))).toEqual([]);
      expect(JSON.stringify(mine)).not.toContain(other.userId);
    });

    it('pages with `before`: an event id or an instant, no overlap, nothing skipped', async () => {
      const user = await verifiedUser('pages');
      await login(app, user.email);
      await login(app, user.email);
      const all = await eventsOf(user);
      expect(all.length).toBeGreaterThanOrEqual(5);

      const first = await eventsOf(user, '?limit=2');
      const second = await eventsOf(user, `?limit=2&before=${first[1].id}`);
      expect([...first, ...second].map((e) => e.id)).toEqual(all.slice(0, 4).map((e) => e.id));

      const olderThanThird = await eventsOf(user, `?limit=100&before=${encodeURIComponent(all[2].at)}`);
      expect(olderThanThird.every((e) => Date.parse(e.at) < Date.parse(all[2].at))).toBe(true);
      expect(await eventsOf(user, '?before=1')).toEqual([]);
    });

    it('answers 400 to a bad limit or cursor, 401 without a token', async () => {
      const user = await verifiedUser('bad-query');
      for (const query of ['?limit=0', '?limit=101', '?limit=x', '?before=yesterday', "?before=1'--"]) {
        const response = await activity(user, query);
        expect({ query, status: response.status }).toEqual({ query, status: 400 });
        expectNestError(response.body, 400);
      }
      await app.http().get('/api/auth/activity').expect(401);
    });
  });

  describe('every security event, stored with its change', () => {
    it('records a password change, the sessions it ended, a logout and a reuse', async () => {
      const user = await verifiedUser('changes');
      const other = await login(app, user.email);
      await app
        .http()
        .post('/api/auth/password')
        .set('Authorization', bearer(user))
        .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
        .expect(204);
      const afterChange = await eventsOf(user);
      expect(afterChange[0].type).toBe('password.changed');
      expect(afterChange).toContainEqual(
        expect.objectContaining({
          type: 'session.revoked',
          details: expect.objectContaining({ sessionId: expect.any(String), reason: 'password_changed' }),
        }),
      );
      expect(
        afterChange.filter((e) => e.type === 'session.revoked').map((e) => e.details.sessionId),
      ).toContain(JSON.parse(Buffer.from(other.accessToken.split('.')[1], 'base64url').toString()).sid);

      const fresh = await login(app, user.email, NEW_PASSWORD);
      // Two rotations on, the first token is no benign race: presenting it is reuse.
      const child = refreshCookie(await refresh(app, fresh.cookie).expect(200))!;
      await refresh(app, child).expect(200);
      await refresh(app, fresh.cookie).expect(401);
      const afterReuse = await typesOf(user);
      expect(afterReuse.slice(0, 2).sort()).toEqual(['refresh.reuse_detected', 'session.revoked']);
    });

    it('records TOTP turned on, an API key made, a logout', async () => {
      const user = await verifiedUser('factors');
      await enrolTotp(app, user);
      await app
        .http()
        .post('/api/auth/api-keys')
        .set('Authorization', bearer(user))
        .send({ name: 'history key', scopes: ['profile:read'] })
        .expect(201);
      const types = await storedTypes(user.userId);
      expect(types).toEqual(expect.arrayContaining(['mfa.enabled', 'api_key.created']));
      // The factor ended the user's other session (made by signing up).
      expect(types.filter((type) => type === 'session.revoked')).toHaveLength(1);

      await app.http().post('/api/auth/logout').set('Cookie', user.cookie).expect(204);
      const logged = (await audit(admin, `?userId=${user.userId}&type=session.revoked`).expect(200)).body
        .items as Event[];
      expect(logged[0].details).toMatchObject({ reason: 'logout' });
    });

    it('records what an administrator did, and who did it', async () => {
      const user = await verifiedUser('administered');
      const post = (path: string) => app.http().post(path).set('Authorization', bearer(admin));
      await post(`/api/admin/users/${user.userId}/disable`).expect(204);
      await post(`/api/admin/users/${user.userId}/enable`).expect(204);
      const again = await login(app, user.email);
      const events = await eventsOf(again);
      expect(events.map((e) => e.type).slice(1, 3)).toEqual(['account.enabled', 'account.disabled']);
      for (const event of events.slice(1, 3)) expect(event.details.adminId).toBe(admin.userId);
    });

    it('stores no event for a change that failed half-way, and the change is not made', async () => {
      const user = await verifiedUser('fails-late');
      const before = await storedTypes(user.userId);
      // The change's last write (the notice to the owner) fails: everything before it goes too.
      await failingWrites('mail_outbox', `NEW."to" = '${user.email}'`, async () => {
        const response = await app
          .http()
          .post('/api/auth/password')
          .set('Authorization', bearer(user))
          .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
        expect(response.status).toBe(500);
        expect(JSON.stringify(response.body)).not.toContain('injected');
      });
      expect(await storedTypes(user.userId)).toEqual(before);
      await login(app, user.email, PASSWORD);
      await app
        .http()
        .post('/api/auth/login')
        .send({ email: user.email, password: NEW_PASSWORD })
        .expect(401);
    });

    it('makes no session when its event cannot be stored', async () => {
      const user = await verifiedUser('no-event-no-session');
      const sessions = async () =>
        (await app.query('SELECT id FROM sessions WHERE user_id = $1', [user.userId])).length;
      const before = await sessions();
      await failingWrites(
        'audit_events',
        `NEW.type = 'login.succeeded' AND NEW.user_id = '${user.userId}'`,
        async () => {
          const response = await app
            .http()
            .post('/api/auth/login')
            .send({ email: user.email, password: PASSWORD });
          expect(response.status).toBe(500);
          expect(response.headers['set-cookie']).toBeUndefined();
        },
      );
      expect(await sessions()).toBe(before);
    });
  });

  describe('GET /api/admin/audit', () => {
    it('filters by account and by type, and shows whose each event is', async () => {
      const one = await verifiedUser('audited-one');
      const two = await verifiedUser('audited-two');
      await app.http().post('/api/auth/login').send({ email: two.email, password: 'wrong password!!' });

      const ofOne = (await audit(admin, `?userId=${one.userId}&limit=100`).expect(200)).body.items as Event[];
      expect(ofOne.length).toBeGreaterThan(0);
      expect(ofOne.every((e) => e.userId === one.userId)).toBe(true);
      expect(ofOne.map((e) => e.id)).toEqual((await eventsOf(one)).map((e) => e.id));

      const failed = (await audit(admin, '?type=login.failed&limit=100').expect(200)).body.items as Event[];
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((e) => e.type === 'login.failed')).toBe(true);
      expect(failed.map((e) => e.userId)).toContain(two.userId);

      const both = (await audit(admin, `?userId=${two.userId}&type=login.failed`).expect(200)).body
        .items as Event[];
      expect(both.length).toBe(1);

      const page = (await audit(admin, '?limit=3').expect(200)).body.items as Event[];
      const next = (await audit(admin, `?limit=3&before=${page[2].id}`).expect(200)).body.items as Event[];
      expect(next.every((e) => BigInt(e.id) < BigInt(page[2].id))).toBe(true);
    });

    it('is for administrators only, and refuses bad filters with 400', async () => {
      const user = await verifiedUser('not-admin');
      const refused = await audit(user);
      expect(refused.status).toBe(403);
      expectNestError(refused.body, 403);
      await app.http().get('/api/admin/audit').expect(401);
      for (const query of ['?userId=nope', '?type=DROP%20TABLE', '?limit=500', '?before=soon', '?extra=1']) {
        const response = await audit(admin, query);
        expect({ query, status: response.status }).toEqual({ query, status: 400 });
      }
    });
  });

  describe('retention', () => {
    it('purges events older than AUDIT_RETENTION and keeps the rest', async () => {
      const user = await verifiedUser('retention');
      await app.query(
        `INSERT INTO audit_events (user_id, type, at) VALUES
           ($1, 'login.succeeded', now() - interval '${RETENTION_DAYS + 1} days'),
           ($1, 'login.failed', now() - interval '${RETENTION_DAYS - 1} days')`,
        [user.userId],
      );
      const before = await storedTypes(user.userId);

      const result = await app.app.get(SessionCleaner).runOnce();

      expect(result.auditEvents).toBeGreaterThanOrEqual(1);
      const after = await storedTypes(user.userId);
      expect(after).toHaveLength(before.length - 1);
      const [{ oldest }] = await app.query<{ oldest: Date }>(
        'SELECT min(at) AS oldest FROM audit_events WHERE user_id = $1',
        [user.userId],
      );
      expect(Date.now() - new Date(oldest).getTime()).toBeLessThan(RETENTION_DAYS * 86_400_000);
    });
  });
});
