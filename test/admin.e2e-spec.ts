import { randomUUID } from 'node:crypto';
import {
  LoggedIn,
  login,
  me,
  PASSWORD,
  refresh,
  refreshCookie,
  signUp,
  uniqueEmail,
} from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { TestApp } from './support/test-app';
import { expectNestError } from './support/expectations';

const ADMIN_PASSWORD = 'the gatehouse administrator passphrase';
const WRONG_PASSWORD = 'not the right passphrase at all';
const USER_KEYS = ['createdAt', 'displayName', 'email', 'emailVerified', 'id', 'roles'];
const ADMIN_USER_KEYS = [...USER_KEYS, 'disabled'].sort();

interface AdminUser {
  id: string;
  email: string;
  displayName: string | null;
  roles: string[];
  createdAt: string;
  disabled: boolean;
}

describeEachDatabase('admin: the user list, disable and enable', (kind) => {
  const adminEmail = `admin-${randomUUID()}@example.com`;
  let app: TestApp;
  let admin: LoggedIn;

  beforeAll(async () => {
    app = await TestApp.start(kind, { env: { ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD } });
    admin = await login(app, adminEmail, ADMIN_PASSWORD);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  }, 60_000);

  const bearer = (session: LoggedIn) => `Bearer ${session.accessToken}`;
  const listUsers = (session: LoggedIn, query = '') =>
    app.http().get(`/api/admin/users${query}`).set('Authorization', bearer(session));
  const disable = (session: LoggedIn, id: string) =>
    app.http().post(`/api/admin/users/${id}/disable`).set('Authorization', bearer(session));
  const enable = (session: LoggedIn, id: string) =>
    app.http().post(`/api/admin/users/${id}/enable`).set('Authorization', bearer(session));
  const attemptLogin = (email: string, password: string) =>
    app.http().post('/api/auth/login').send({ email, password });

  /** Every user the admin list shows, page by page. */
  async function allUsers(): Promise<AdminUser[]> {
    const users: AdminUser[] = [];
    for (let offset = 0; ; offset += 100) {
      const response = await listUsers(admin, `?limit=100&offset=${offset}`).expect(200);
      users.push(...(response.body.items as AdminUser[]));
      if (response.body.items.length === 0 || users.length >= response.body.total) return users;
    }
  }

  async function listed(id: string): Promise<AdminUser> {
    const user = (await allUsers()).find((u) => u.id === id);
    if (!user) throw new Error(`user ${id} is not in the admin list`);
    return user;
  }

  /** The session works: its access token is accepted and its cookie refreshes. */
  async function expectAlive(session: LoggedIn): Promise<void> {
    await me(app, session.accessToken).expect(200);
    await refresh(app, session.cookie).expect(200);
  }

  describe('the ADMIN_EMAIL account', () => {
    it('logs in and carries the roles admin and user', async () => {
      const response = await attemptLogin(adminEmail, ADMIN_PASSWORD);
      expect(response.status).toBe(200);
      expect(response.body.user).toMatchObject({ email: adminEmail, roles: ['admin', 'user'] });
      const self = await me(app, response.body.accessToken).expect(200);
      expect(self.body.roles).toEqual(['admin', 'user']);
      expect((await listed(self.body.id)).roles).toEqual(['admin', 'user']);
    });

    it('is the only admin: a registered user gets the role user only', async () => {
      const plain = await signUp(app);
      const self = await me(app, plain.accessToken).expect(200);
      expect(self.body.roles).toEqual(['user']);
      const admins = (await allUsers()).filter((u) => u.roles.includes('admin'));
      expect(admins.map((u) => u.email)).toEqual([adminEmail]);
    });
  });

  describe('GET /api/admin/users', () => {
    it('answers 401 without a token', async () => {
      const response = await app.http().get('/api/admin/users');
      expect(response.status).toBe(401);
      expectNestError(response.body, 401);
    });

    it('answers 403 to a plain user', async () => {
      const plain = await signUp(app);
      const response = await listUsers(plain);
      expect(response.status).toBe(403);
      expectNestError(response.body, 403);
      expect(JSON.stringify(response.body)).not.toContain(adminEmail);
    });

    it('answers 200 {items, total} to the admin: users with a boolean disabled, never a password hash', async () => {
      const plain = await signUp(app);
      const response = await listUsers(admin, '?limit=100');
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(['items', 'total']);
      const [{ count }] = await app.query<{ count: string }>('SELECT count(*) AS count FROM users');
      expect(response.body.total).toBe(Number(count));
      const items = response.body.items as AdminUser[];
      expect(items.length).toBe(Math.min(100, response.body.total));
      for (const item of items) {
        expect(Object.keys(item).sort()).toEqual(ADMIN_USER_KEYS);
        expect(typeof item.disabled).toBe('boolean');
      }
      expect(JSON.stringify(response.body)).not.toMatch(/argon2|hash|password/i);
      const ids = items.map((u) => u.id);
      expect(ids).toContain(admin.userId);
      const listedPlain = items.find((u) => u.id === plain.userId);
      expect(listedPlain).toMatchObject({ email: plain.email, roles: ['user'], disabled: false });
    });

    it('pages with limit and offset, keeping the total', async () => {
      for (let i = 0; i < 3; i++) await signUp(app);
      const full = await listUsers(admin, '?limit=100').expect(200);
      const everyone = full.body.items as AdminUser[];
      expect(everyone.length).toBeGreaterThanOrEqual(4);

      const page = await listUsers(admin, '?limit=2&offset=1');
      expect(page.status).toBe(200);
      expect(page.body).toEqual({ items: everyone.slice(1, 3), total: full.body.total });

      const first = await listUsers(admin, '?limit=1').expect(200);
      expect(first.body).toEqual({ items: everyone.slice(0, 1), total: full.body.total });

      const beyond = await listUsers(admin, `?offset=${full.body.total}`).expect(200);
      expect(beyond.body).toEqual({ items: [], total: full.body.total });
    });

    it('accepts limit=100', async () => {
      const response = await listUsers(admin, '?limit=100');
      expect(response.status).toBe(200);
      expect(Array.isArray(response.body.items)).toBe(true);
    });

    it.each([
      ['limit=0', '?limit=0'],
      ['limit=101', '?limit=101'],
      ['limit=abc', '?limit=abc'],
      ['offset=-1', '?offset=-1'],
      ['offset=abc', '?offset=abc'],
    ])('refuses %s with a 400', async (_name, query) => {
      const response = await listUsers(admin, query);
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
    });
  });

  describe('POST /api/admin/users/:id/disable', () => {
    it('answers 204 and ends every session of the user at once; login is refused, the list shows it', async () => {
      const victim = await signUp(app);
      const secondSession = await login(app, victim.email);
      const bystander = await signUp(app);

      const response = await disable(admin, victim.userId);
      expect(response.status).toBe(204);
      expect(response.text).toBe('');

      // Live access tokens die immediately, and so do the refresh cookies.
      for (const session of [victim, secondSession]) {
        const meResponse = await me(app, session.accessToken);
        expect(meResponse.status).toBe(401);
        expectNestError(meResponse.body, 401);
        const refreshed = await refresh(app, session.cookie);
        expect(refreshed.status).toBe(401);
        expect(refreshed.body.accessToken).toBeUndefined();
      }

      // The right password learns the account is disabled; a wrong one learns nothing.
      const right = await attemptLogin(victim.email, PASSWORD);
      expect(right.status).toBe(403);
      expectNestError(right.body, 403);
      expect(right.body.accessToken).toBeUndefined();
      expect(refreshCookie(right)).toBeUndefined();

      const wrong = await attemptLogin(victim.email, WRONG_PASSWORD);
      const wrongForEnabled = await attemptLogin(bystander.email, WRONG_PASSWORD);
      const unknown = await attemptLogin(uniqueEmail('nobody'), PASSWORD);
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual(wrongForEnabled.body);
      expect(wrong.body).toEqual(unknown.body);
      expect(refreshCookie(wrong)).toBeUndefined();

      expect(await listed(victim.userId)).toMatchObject({ email: victim.email, disabled: true });

      // No one else is touched.
      await expectAlive(bystander);
      expect((await listed(bystander.userId)).disabled).toBe(false);
      await me(app, admin.accessToken).expect(200);
    });

    it('answers 403 to a plain user and changes nothing', async () => {
      const plain = await signUp(app);
      const target = await signUp(app);
      const response = await disable(plain, target.userId);
      expect(response.status).toBe(403);
      expectNestError(response.body, 403);
      await expectAlive(target);
      await login(app, target.email);
      expect((await listed(target.userId)).disabled).toBe(false);
    });

    it('answers 403 to a plain user disabling themself, and changes nothing', async () => {
      const plain = await signUp(app);
      const response = await disable(plain, plain.userId);
      expect(response.status).toBe(403);
      await expectAlive(plain);
      expect((await listed(plain.userId)).disabled).toBe(false);
    });

    it('answers 409 to the admin disabling themself (the last enabled admin), and changes nothing', async () => {
      const response = await disable(admin, admin.userId);
      expect(response.status).toBe(409);
      expectNestError(response.body, 409);
      await me(app, admin.accessToken).expect(200);
      expect((await listed(admin.userId)).disabled).toBe(false);
    });

    it('answers 401 without a token and changes nothing', async () => {
      const target = await signUp(app);
      const response = await app.http().post(`/api/admin/users/${target.userId}/disable`);
      expect(response.status).toBe(401);
      expectNestError(response.body, 401);
      await expectAlive(target);
      expect((await listed(target.userId)).disabled).toBe(false);
    });

    it('answers 404 for a well-formed uuid that is no user', async () => {
      const response = await disable(admin, randomUUID());
      expect(response.status).toBe(404);
      expectNestError(response.body, 404);
    });

    it.each(['not-a-uuid', '12345'])('answers 400 for the malformed id %s', async (id) => {
      const response = await disable(admin, id);
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
    });
  });

  describe('POST /api/admin/users/:id/enable', () => {
    it('answers 204: the user logs in again, the list shows it, and the revoked tokens stay dead', async () => {
      const user = await signUp(app);
      await disable(admin, user.userId).expect(204);
      await attemptLogin(user.email, PASSWORD).expect(403);

      const response = await enable(admin, user.userId);
      expect(response.status).toBe(204);
      expect(response.text).toBe('');

      const again = await attemptLogin(user.email, PASSWORD);
      expect(again.status).toBe(200);
      expect(again.body.user).toMatchObject({ id: user.userId, email: user.email });
      expect(refreshCookie(again)).toBeDefined();
      expect((await listed(user.userId)).disabled).toBe(false);

      // The sessions ended by the disable do not come back.
      await me(app, user.accessToken).expect(401);
      await refresh(app, user.cookie).expect(401);

      // The new session works.
      await me(app, again.body.accessToken).expect(200);
      await refresh(app, refreshCookie(again)!).expect(200);
    });

    it('answers 403 to a plain user, and a disabled account stays disabled', async () => {
      const plain = await signUp(app);
      const target = await signUp(app);
      await disable(admin, target.userId).expect(204);
      const response = await enable(plain, target.userId);
      expect(response.status).toBe(403);
      expectNestError(response.body, 403);
      await attemptLogin(target.email, PASSWORD).expect(403);
      expect((await listed(target.userId)).disabled).toBe(true);
    });

    it('answers 401 without a token', async () => {
      const target = await signUp(app);
      await disable(admin, target.userId).expect(204);
      const response = await app.http().post(`/api/admin/users/${target.userId}/enable`);
      expect(response.status).toBe(401);
      expectNestError(response.body, 401);
      expect((await listed(target.userId)).disabled).toBe(true);
    });

    it('answers 404 for a well-formed uuid that is no user', async () => {
      const response = await enable(admin, randomUUID());
      expect(response.status).toBe(404);
      expectNestError(response.body, 404);
    });

    it.each(['not-a-uuid', '12345'])('answers 400 for the malformed id %s', async (id) => {
      const response = await enable(admin, id);
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
    });
  });

  describe('across a restart', () => {
    it('creates no second admin, and the admin still logs in with the same account', async () => {
      const before = await allUsers();
      await app.restart();

      const rows = await app.query<{ id: string }>('SELECT id FROM users WHERE lower(email) = lower($1)', [
        adminEmail,
      ]);
      expect(rows.map((r) => r.id)).toEqual([admin.userId]);

      admin = await login(app, adminEmail, ADMIN_PASSWORD);
      expect(admin.userId).toBe(before.find((u) => u.email === adminEmail)!.id);
      expect(admin.response.body.user.roles).toEqual(['admin', 'user']);

      const after = await allUsers();
      expect(after.length).toBe(before.length);
      expect(after.filter((u) => u.roles.includes('admin')).map((u) => u.id)).toEqual([admin.userId]);
    }, 60_000);
  });
});
