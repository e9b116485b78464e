import { UsersService } from '@gatehouse/users';
import { randomUUID } from 'node:crypto';
import { Response } from 'supertest';
import { SignInProof, SignInService } from '../libs/auth/src/sign-in/sign-in.service';
import {
  decodeJwt,
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

const NEW_PASSWORD = 'a different passphrase chosen mid-flight';
const ADMIN_PASSWORD = 'the gatehouse administrator passphrase';

// Every way in ends in one sign-in function that re-checks, under a lock on the user row, what the proof was
// checked against. These are the races and faults that used to leave sessions alive.
describeEachDatabase('the sign-in function', (kind) => {
  const adminEmail = `admin-${randomUUID()}@example.com`;
  let app: TestApp;
  let admin: LoggedIn;

  beforeAll(async () => {
    app = await TestApp.start(kind, { env: { ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD } });
    admin = await login(app, adminEmail, ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await app.stop();
  });

  const bearer = (session: LoggedIn) => `Bearer ${session.accessToken}`;
  const changePassword = (session: LoggedIn, currentPassword: string, newPassword: string) =>
    app
      .http()
      .post('/api/auth/password')
      .set('Authorization', bearer(session))
      .send({ currentPassword, newPassword });
  const disable = (userId: string) =>
    app.http().post(`/api/admin/users/${userId}/disable`).set('Authorization', bearer(admin));
  const attemptLogin = (email: string, password = PASSWORD) =>
    app.http().post('/api/auth/login').send({ email, password });

  /** What the login route's password check proves, taken before something changes the account. */
  async function passwordProof(email: string): Promise<SignInProof> {
    const check = await app.app.get(UsersService).verifyCredentials(email, PASSWORD);
    if (check.outcome !== 'verified') throw new Error(`the password should verify, got ${check.outcome}`);
    return { userId: check.user.id, credentialsVersion: check.user.credentialsVersion, amr: ['pwd'] };
  }

  /** The sign-in the login route would make with that proof, had it arrived after the change. */
  const signIn = (proof: SignInProof) => app.app.get(SignInService).signIn(proof, {});

  async function liveSessions(userId: string): Promise<number> {
    const [{ count }] = await app.query<{ count: string }>(
      'SELECT count(*) AS count FROM sessions WHERE user_id = $1 AND revoked_at IS NULL',
      [userId],
    );
    return Number(count);
  }

  /** The session is dead: its access token and its cookie are both refused. */
  async function expectDead(accessToken: string, cookie: string): Promise<void> {
    await me(app, accessToken).expect(401);
    await refresh(app, cookie).expect(401);
  }

  /** Fires `count` logins at once; resolves with their answers once every one has been answered. */
  function loginsInFlight(email: string, count: number): Promise<Response>[] {
    return Array.from({ length: count }, () => attemptLogin(email).then((response) => response));
  }

  async function expectEverySessionDead(answers: Response[]): Promise<void> {
    for (const answer of answers) {
      expect([200, 401, 403]).toContain(answer.status);
      if (answer.status !== 200) {
        expect(refreshCookie(answer)).toBeUndefined();
        continue;
      }
      await expectDead(answer.body.accessToken, refreshCookie(answer)!);
    }
  }

  describe('a password check that ran before a password change', () => {
    it('gives no session once the change has committed (the proof is stale)', async () => {
      const user = await signUp(app);
      const proof = await passwordProof(user.email);
      await changePassword(user, PASSWORD, NEW_PASSWORD).expect(204);
      await expect(signIn(proof)).rejects.toMatchObject({ status: 401 });
      // Only the session that changed the password is left.
      expect(await liveSessions(user.userId)).toBe(1);
    });

    it('leaves every session of logins in flight during the change dead afterwards', async () => {
      const user = await signUp(app);
      const inFlight = loginsInFlight(user.email, 12);
      const change = changePassword(user, PASSWORD, NEW_PASSWORD);
      const more = loginsInFlight(user.email, 12);
      expect((await change).status).toBe(204);
      await expectEverySessionDead(await Promise.all([...inFlight, ...more]));
      // The session that made the change lives on; the new password is the only one that works.
      await me(app, user.accessToken).expect(200);
      await attemptLogin(user.email).expect(401);
      await attemptLogin(user.email, NEW_PASSWORD).expect(200);
    });
  });

  describe('a password check that ran before an admin disabled the account', () => {
    it('gives no session once the disable has committed', async () => {
      const user = await signUp(app);
      const proof = await passwordProof(user.email);
      await disable(user.userId).expect(204);
      await expect(signIn(proof)).rejects.toMatchObject({ status: 403 });
      expect(await liveSessions(user.userId)).toBe(0);
    });

    it('leaves every session of logins in flight during the disable dead afterwards', async () => {
      const user = await signUp(app);
      const inFlight = loginsInFlight(user.email, 12);
      const disabling = disable(user.userId);
      const more = loginsInFlight(user.email, 12);
      expect((await disabling).status).toBe(204);
      const answers = await Promise.all([...inFlight, ...more]);
      await expectEverySessionDead(answers);
      await expectDead(user.accessToken, user.cookie);
      await attemptLogin(user.email).expect(403);
    });
  });

  describe('a password change that fails half-way', () => {
    it('changes nothing: the old password and the old sessions stay, the new password does not work', async () => {
      const user = await signUp(app);
      const other = await login(app, user.email);
      // A fault in the middle of the change: revoking this user's sessions fails inside the database.
      const trigger = `fail_${randomUUID().replace(/-/g, '')}`;
      await app.query(`CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'injected fault'; END $$`);
      await app.query(
        `CREATE TRIGGER ${trigger} BEFORE UPDATE OF revoked_at ON sessions FOR EACH ROW
           WHEN (OLD.user_id = '${user.userId}') EXECUTE FUNCTION ${trigger}()`,
      );
      try {
        const response = await changePassword(user, PASSWORD, NEW_PASSWORD);
        expect(response.status).toBeGreaterThanOrEqual(500);
      } finally {
        await app.query(`DROP TRIGGER ${trigger} ON sessions`);
        await app.query(`DROP FUNCTION ${trigger}()`);
      }
      await me(app, other.accessToken).expect(200);
      await refresh(app, other.cookie).expect(200);
      await attemptLogin(user.email, NEW_PASSWORD).expect(401);
      await attemptLogin(user.email).expect(200);
    });
  });

  describe('what a session remembers of its sign-in', () => {
    it('puts amr and auth_time in the access token, and a refresh keeps both', async () => {
      const before = Math.floor(Date.now() / 1000);
      const user = await signUp(app);
      const first = decodeJwt(user.accessToken).payload;
      expect(first.amr).toEqual(['pwd']);
      expect(first.auth_time).toBeGreaterThanOrEqual(before - 5);
      expect(first.auth_time).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 5);

      await new Promise((resolve) => setTimeout(resolve, 1100));
      const refreshed = await refresh(app, user.cookie).expect(200);
      const second = decodeJwt(refreshed.body.accessToken).payload;
      expect(second.amr).toEqual(['pwd']);
      expect(second.auth_time).toBe(first.auth_time);
      expect(second.iat).toBeGreaterThan(first.auth_time as number);
    });

    it('answers a refresh with the same user object as /users/me, emailVerified included', async () => {
      const user = await signUp(app, uniqueEmail('same-user'));
      const refreshed = await refresh(app, user.cookie).expect(200);
      const current = await me(app, user.accessToken).expect(200);
      expect(refreshed.body.user).toEqual(current.body);
      expect(refreshed.body.user.emailVerified).toBe(false);
      expect(user.response.body.user).toEqual(current.body);
    });
  });
});
