import { randomUUID } from 'node:crypto';
import {
  decodeJwt,
  LoggedIn,
  login,
  me,
  PASSWORD,
  refresh,
  refreshCookie,
  refreshCookieLine,
  register,
  signUp,
  uniqueEmail,
} from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { TestApp } from './support/test-app';
import { expectNestError } from './support/expectations';

const NEW_PASSWORD = 'another long passphrase, changed on purpose';
const USER_KEYS = ['createdAt', 'displayName', 'email', 'emailVerified', 'id', 'roles'];
const SESSION_KEYS = ['createdAt', 'current', 'expiresAt', 'id', 'ip', 'lastUsedAt', 'userAgent'];

describeEachDatabase('sessions, logout, password change and the current user', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    // Many logins from one address: keep the login throttle out of the way of what this suite checks.
    app = await TestApp.start(kind, { env: { THROTTLE_LOGIN_LIMIT: '1000' } });
  });
  afterAll(async () => {
    await app.stop();
  });

  const sessionId = (accessToken: string) => decodeJwt(accessToken).payload.sid as string;
  const bearer = (accessToken: string) => `Bearer ${accessToken}`;
  const listSessions = (accessToken: string) =>
    app.http().get('/api/auth/sessions').set('Authorization', bearer(accessToken));
  const deleteSession = (accessToken: string, id: string) =>
    app.http().delete(`/api/auth/sessions/${id}`).set('Authorization', bearer(accessToken));
  const changePassword = (accessToken: string, body: object) =>
    app.http().post('/api/auth/password').set('Authorization', bearer(accessToken)).send(body);

  function expectCleared(response: Parameters<typeof refreshCookieLine>[0]): void {
    const line = refreshCookieLine(response);
    expect(line).toBeDefined();
    expect(line).toMatch(/^refresh_token=;/);
    expect(line).toContain('Max-Age=0');
    expect(line).toContain('Path=/api/auth');
  }

  /** The session works: its access token is accepted and its cookie refreshes. */
  async function expectAlive(session: LoggedIn): Promise<void> {
    await me(app, session.accessToken).expect(200);
    await refresh(app, session.cookie).expect(200);
  }

  /** The session is dead: its access token and its cookie are both refused. */
  async function expectDead(session: LoggedIn): Promise<void> {
    await me(app, session.accessToken).expect(401);
    await refresh(app, session.cookie).expect(401);
  }

  describe('POST /api/auth/login', () => {
    it('answers 200 with the token body, the public user and Cache-Control: no-store', async () => {
      const email = uniqueEmail('login');
      await register(app, email);
      const response = await app.http().post('/api/auth/login').send({ email, password: PASSWORD });
      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(Object.keys(response.body).sort()).toEqual(['accessToken', 'expiresIn', 'tokenType', 'user']);
      expect(response.body).toMatchObject({
        tokenType: 'Bearer',
        expiresIn: 900,
        user: { email, roles: ['user'] },
      });
      expect(response.body.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(Object.keys(response.body.user).sort()).toEqual(USER_KEYS);
      // The token's base64 is random text: only the rest of the body is read for secrets.
      expect(JSON.stringify({ ...response.body, accessToken: undefined })).not.toMatch(
        /argon2|hash|password/i,
      );
      expect(refreshCookie(response)).toBeDefined();
      await me(app, response.body.accessToken).expect(200);
    });

    it('answers a wrong password and an unknown email with the same 401 body', async () => {
      const email = uniqueEmail('wrong');
      await register(app, email);
      const wrongPassword = await app
        .http()
        .post('/api/auth/login')
        .send({ email, password: 'not the right passphrase at all' });
      const unknownEmail = await app
        .http()
        .post('/api/auth/login')
        .send({ email: uniqueEmail('nobody'), password: PASSWORD });
      expect(wrongPassword.status).toBe(401);
      expect(unknownEmail.status).toBe(401);
      expectNestError(wrongPassword.body, 401);
      expect(unknownEmail.body).toEqual(wrongPassword.body);
      expect(refreshCookie(wrongPassword)).toBeUndefined();
      expect(refreshCookie(unknownEmail)).toBeUndefined();
    });
  });

  describe('GET /api/auth/sessions', () => {
    it('lists the live sessions only, with exactly one marked current: the bearer token’s', async () => {
      const email = uniqueEmail('list');
      await register(app, email);
      const laptop = await app
        .http()
        .post('/api/auth/login')
        .set('User-Agent', 'laptop-browser/1.0')
        .send({ email, password: PASSWORD })
        .expect(200);
      const phone = await login(app, email);
      const ended = await login(app, email);
      await app.http().post('/api/auth/logout').set('Cookie', ended.cookie).expect(204);

      const response = await listSessions(laptop.body.accessToken);
      expect(response.status).toBe(200);
      const sessions = response.body as Record<string, unknown>[];
      expect(sessions.map((s) => s.id).sort()).toEqual(
        [sessionId(laptop.body.accessToken), sessionId(phone.accessToken)].sort(),
      );
      expect(sessions.map((s) => s.id)).not.toContain(sessionId(ended.accessToken));
      for (const session of sessions) {
        expect(Object.keys(session).sort()).toEqual(SESSION_KEYS);
        expect(session.id).toMatch(/^[0-9a-f-]{36}$/);
        for (const field of ['createdAt', 'lastUsedAt', 'expiresAt']) {
          expect(Number.isNaN(Date.parse(session[field] as string))).toBe(false);
        }
        expect(Date.parse(session.expiresAt as string)).toBeGreaterThan(Date.now());
        expect(typeof session.ip).toBe('string');
      }
      const current = sessions.filter((s) => s.current === true);
      expect(current).toHaveLength(1);
      expect(current[0].id).toBe(sessionId(laptop.body.accessToken));
      expect(current[0].userAgent).toBe('laptop-browser/1.0');
      expect(sessions.filter((s) => s.current === false)).toHaveLength(1);

      // The same list seen from the other session marks that one current instead.
      const fromPhone = await listSessions(phone.accessToken).expect(200);
      const phoneCurrent = (fromPhone.body as Record<string, unknown>[]).filter((s) => s.current === true);
      expect(phoneCurrent.map((s) => s.id)).toEqual([sessionId(phone.accessToken)]);
    });

    it('never lists another user’s sessions', async () => {
      const alice = await signUp(app);
      const bob = await signUp(app);
      const response = await listSessions(alice.accessToken).expect(200);
      const ids = (response.body as { id: string }[]).map((s) => s.id);
      expect(ids).toEqual([sessionId(alice.accessToken)]);
      expect(ids).not.toContain(sessionId(bob.accessToken));
    });

    it('answers 401 without a bearer token', async () => {
      const response = await app.http().get('/api/auth/sessions');
      expect(response.status).toBe(401);
      expectNestError(response.body, 401);
    });
  });

  describe('POST /api/auth/logout', () => {
    it('answers 204, clears the cookie, and kills the refresh cookie and the access token', async () => {
      const session = await signUp(app);
      const response = await app.http().post('/api/auth/logout').set('Cookie', session.cookie);
      expect(response.status).toBe(204);
      expectCleared(response);
      const again = await refresh(app, session.cookie);
      expect(again.status).toBe(401);
      await me(app, session.accessToken).expect(401);
    });

    it('answers 204 with no cookie at all', async () => {
      const response = await app.http().post('/api/auth/logout');
      expect(response.status).toBe(204);
      expectCleared(response);
    });

    it('answers 204 with a garbage cookie, and touches no session', async () => {
      const bystander = await signUp(app);
      const response = await app.http().post('/api/auth/logout').set('Cookie', 'refresh_token=not.a.jwt');
      expect(response.status).toBe(204);
      expectCleared(response);
      await expectAlive(bystander);
    });
  });

  describe('POST /api/auth/logout-all', () => {
    it('revokes every session of the user, and no one else’s', async () => {
      const first = await signUp(app);
      const second = await login(app, first.email);
      const other = await signUp(app);
      const response = await app
        .http()
        .post('/api/auth/logout-all')
        .set('Authorization', bearer(first.accessToken))
        .set('Cookie', first.cookie);
      expect(response.status).toBe(204);
      expectCleared(response);
      await expectDead(first);
      await expectDead(second);
      await expectAlive(other);
      // A fresh login still works: the account is not locked, only its sessions ended.
      await login(app, first.email);
    });

    it('answers 401 without a bearer token, and revokes nothing', async () => {
      const session = await signUp(app);
      const response = await app.http().post('/api/auth/logout-all').set('Cookie', session.cookie);
      expect(response.status).toBe(401);
      expectNestError(response.body, 401);
      await expectAlive(session);
    });
  });

  describe('DELETE /api/auth/sessions/:id', () => {
    it('revokes one’s own other session: its access token and cookie die, the current session lives', async () => {
      const current = await signUp(app);
      const other = await login(app, current.email);
      const response = await deleteSession(current.accessToken, sessionId(other.accessToken));
      expect(response.status).toBe(204);
      await expectDead(other);
      await expectAlive(current);
      const list = await listSessions(current.accessToken).expect(200);
      expect((list.body as { id: string }[]).map((s) => s.id)).toEqual([sessionId(current.accessToken)]);
    });

    it('answers 404 for another user’s session, which keeps working', async () => {
      const attacker = await signUp(app);
      const victim = await signUp(app);
      const response = await deleteSession(attacker.accessToken, sessionId(victim.accessToken));
      expect(response.status).toBe(404);
      expectNestError(response.body, 404);
      await expectAlive(victim);
    });

    it('answers 404 for a well-formed id that is no session', async () => {
      const session = await signUp(app);
      const response = await deleteSession(session.accessToken, randomUUID());
      expect(response.status).toBe(404);
      expectNestError(response.body, 404);
      await expectAlive(session);
    });

    it('answers 400 for a malformed id', async () => {
      const session = await signUp(app);
      const response = await deleteSession(session.accessToken, 'not-a-uuid');
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
      await expectAlive(session);
    });

    it('answers 401 without a bearer token', async () => {
      const session = await signUp(app);
      await app
        .http()
        .delete(`/api/auth/sessions/${sessionId(session.accessToken)}`)
        .expect(401);
      await expectAlive(session);
    });
  });

  describe('POST /api/auth/password', () => {
    it('answers 403 to a wrong current password and changes nothing', async () => {
      const session = await signUp(app);
      const other = await login(app, session.email);
      const response = await changePassword(session.accessToken, {
        currentPassword: 'not the right passphrase at all',
        newPassword: NEW_PASSWORD,
      });
      expect(response.status).toBe(403);
      expectNestError(response.body, 403);
      await expectAlive(other);
      await login(app, session.email, PASSWORD);
      await app
        .http()
        .post('/api/auth/login')
        .send({ email: session.email, password: NEW_PASSWORD })
        .expect(401);
    });

    it.each([
      ['a too-short new password', { currentPassword: PASSWORD, newPassword: 'short pass 12' }],
      ['a common new password', { currentPassword: PASSWORD, newPassword: '1qaz2wsx3edc4rfv' }],
      ['an unknown property', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, logoutOthers: false }],
      ['a missing new password', { currentPassword: PASSWORD }],
      ['a non-string new password', { currentPassword: PASSWORD, newPassword: 12345678901234 }],
    ])('refuses %s with a 400 and keeps the old password', async (_name, body) => {
      const session = await signUp(app);
      const response = await changePassword(session.accessToken, body);
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
      await login(app, session.email, PASSWORD);
    });

    it('changes the password, keeps the current session and ends every other one', async () => {
      const current = await signUp(app);
      const other = await login(app, current.email);
      const response = await changePassword(current.accessToken, {
        currentPassword: PASSWORD,
        newPassword: NEW_PASSWORD,
      });
      expect(response.status).toBe(204);
      await me(app, current.accessToken).expect(200);
      await refresh(app, current.cookie).expect(200);
      await expectDead(other);
      const old = await app.http().post('/api/auth/login').send({ email: current.email, password: PASSWORD });
      expect(old.status).toBe(401);
      await login(app, current.email, NEW_PASSWORD);
    });

    it('answers 401 without a bearer token', async () => {
      const session = await signUp(app);
      await app
        .http()
        .post('/api/auth/password')
        .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
        .expect(401);
      await login(app, session.email, PASSWORD);
    });
  });

  describe('/api/users/me', () => {
    it('GET answers the public user, never a hash', async () => {
      const session = await signUp(app);
      const response = await me(app, session.accessToken);
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(USER_KEYS);
      expect(response.body).toMatchObject({ id: session.userId, email: session.email, roles: ['user'] });
      // The token's base64 is random text: only the rest of the body is read for secrets.
      expect(JSON.stringify({ ...response.body, accessToken: undefined })).not.toMatch(
        /argon2|hash|password/i,
      );
    });

    it('PATCH changes the display name and answers the updated user', async () => {
      const session = await signUp(app);
      const response = await app
        .http()
        .patch('/api/users/me')
        .set('Authorization', bearer(session.accessToken))
        .send({ displayName: 'Grace Hopper' });
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(USER_KEYS);
      expect(response.body).toMatchObject({
        id: session.userId,
        email: session.email,
        displayName: 'Grace Hopper',
      });
      const after = await me(app, session.accessToken).expect(200);
      expect(after.body.displayName).toBe('Grace Hopper');
    });

    it.each([
      ['an unknown property', { displayName: 'Ada', roles: ['admin'] }],
      ['a non-string display name', { displayName: 42 }],
    ])('PATCH refuses %s with a 400 and changes nothing', async (_name, body) => {
      const session = await signUp(app);
      const response = await app
        .http()
        .patch('/api/users/me')
        .set('Authorization', bearer(session.accessToken))
        .send(body);
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
      const after = await me(app, session.accessToken).expect(200);
      expect(after.body.roles).toEqual(['user']);
      expect(after.body.displayName).not.toBe('Ada');
    });

    it('answers 401 without a token, to GET and to PATCH', async () => {
      const get = await app.http().get('/api/users/me');
      expect(get.status).toBe(401);
      expectNestError(get.body, 401);
      const patch = await app.http().patch('/api/users/me').send({ displayName: 'Nobody' });
      expect(patch.status).toBe(401);
      expectNestError(patch.body, 401);
    });
  });

  describe('across a restart', () => {
    it('keeps issued tokens valid and revoked sessions refused', async () => {
      const kept = await signUp(app);
      const revoked = await login(app, kept.email);
      await deleteSession(kept.accessToken, sessionId(revoked.accessToken)).expect(204);
      await me(app, revoked.accessToken).expect(401);

      await app.restart();

      await me(app, kept.accessToken).expect(200);
      const refreshed = await refresh(app, kept.cookie);
      expect(refreshed.status).toBe(200);
      expect(refreshCookie(refreshed)).toBeDefined();
      // Revocations are reloaded from the database: no database read per request, yet still refused.
      await me(app, revoked.accessToken).expect(401);
      await refresh(app, revoked.cookie).expect(401);
    });
  });
});
