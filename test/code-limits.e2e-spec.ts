import { Response } from 'supertest';
import { PASSWORD, uniqueEmail } from './support/auth-client';
import { all, answered, statusCounts } from './support/concurrent';
import { describeEachDatabase } from './support/databases';
import { expectNestError } from './support/expectations';
import { TestApp } from './support/test-app';
import { Enrolled, enrolTotp, wrongCode } from './support/totp';
import { mailedToken, signUpVerified } from './support/verified-sign-up';

// The server's default second-factor limit (THROTTLE_MFA_LIMIT, left unset here) and the codes one mfaToken takes.
const USER_LIMIT = 10;
const CODES_PER_CHALLENGE = 5;
const WRONG_CODE = 'the code is wrong';
const DEAD_CHALLENGE = 'the mfa token is invalid, used or expired';
const NEW_PASSWORD = 'a passphrase the guesser wanted to set';

/**
 * However many wrong codes arrive at once, the limits count each attempt before its code is checked: at most
 * THROTTLE_MFA_LIMIT per user and five per mfaToken are ever checked. The defect these prove: the count was read,
 * the code checked and the failure written later, so 200 concurrent wrong codes got 95 checked.
 */
describeEachDatabase('limits that hold under concurrency', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    // TRUST_PROXY: the guesses of the mfaToken part come from many client addresses, as a botnet's would.
    app = await TestApp.start(kind, { env: { TRUST_PROXY: 'true' } });
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  }, 60_000);

  /** A new user with a verified address and the second factor on. */
  async function totpUser(): Promise<Enrolled & { email: string; userId: string; accessToken: string }> {
    const session = await signUpVerified(app, uniqueEmail('limits'));
    const enrolled = await enrolTotp(app, session);
    return { ...enrolled, email: session.email, userId: session.userId, accessToken: session.accessToken };
  }

  async function failuresOf(userId: string): Promise<number> {
    const [{ count }] = await app.query<{ count: string }>(
      'SELECT count(*) AS count FROM mfa_failures WHERE user_id = $1',
      [userId],
    );
    return Number(count);
  }

  /** Each 429 says when to come back, in Nest's error shape. */
  function expectThrottled(responses: Response[]): void {
    for (const response of responses) {
      expect(response.status).toBe(429);
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expectNestError(response.body, 429);
    }
  }

  /**
   * Of a burst of wrong codes, no more than the user's limit were checked (answered `status` with `message`), the
   * rest were refused unchecked (429 with Retry-After), none failed, and every checked code was counted.
   */
  async function expectUserLimitHeld(
    responses: Response[],
    status: number,
    message: string,
    userId: string,
  ): Promise<void> {
    const counts = statusCounts(responses);
    const checked = answered(responses, status, message);
    expect(responses.filter((response) => response.status >= 500)).toEqual([]);
    expect({ counts, checked: checked.length <= USER_LIMIT }).toEqual({ counts, checked: true });
    expect(checked.length).toBeGreaterThan(0);
    expect(checked.length + answered(responses, 429).length).toBe(responses.length);
    expectThrottled(answered(responses, 429));
    expect(await failuresOf(userId)).toBe(checked.length);
  }

  /** The password opens the second-factor step only: no tokens without a code. */
  async function expectSecondFactorAsked(email: string, password = PASSWORD): Promise<void> {
    const response = await app.http().post('/api/auth/login').send({ email, password });
    expect(response.status).toBe(200);
    expect(response.body.mfaRequired).toBe(true);
    expect(response.body.accessToken).toBeUndefined();
  }

  it(`200 concurrent wrong codes to turn TOTP off: at most ${USER_LIMIT} checked (400), the rest 429, and it stays on`, async () => {
    const user = await totpUser();
    const code = wrongCode(user.secret);

    const responses = await all(200, () =>
      app
        .http()
        .delete('/api/auth/mfa/totp')
        .set('Authorization', `Bearer ${user.accessToken}`)
        .send({ code }),
    );

    await expectUserLimitHeld(responses, 400, WRONG_CODE, user.userId);

    // Still on: the password alone opens only the second-factor step.
    await expectSecondFactorAsked(user.email);
  }, 60_000);

  it(`200 concurrent resets with one link and a wrong code: at most ${USER_LIMIT} checked (401), the rest 429, the link unused`, async () => {
    const user = await totpUser();
    await app.http().post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
    const token = await mailedToken(app, user.email, 'reset-password');
    const code = wrongCode(user.secret);

    const responses = await all(200, () =>
      app.http().post('/api/auth/password/reset').send({ token, newPassword: NEW_PASSWORD, code }),
    );

    await expectUserLimitHeld(responses, 401, WRONG_CODE, user.userId);

    // The link is neither used nor ended, and the password is the old one.
    const links = await app.query<{ consumed_at: Date | null }>(
      `SELECT consumed_at FROM email_tokens WHERE user_id = $1 AND purpose = 'password_reset'`,
      [user.userId],
    );
    expect(links).toEqual([{ consumed_at: null }]);
    await expectSecondFactorAsked(user.email);
    await app.http().post('/api/auth/login').send({ email: user.email, password: NEW_PASSWORD }).expect(401);
  }, 60_000);

  it(`200 concurrent wrong codes to reauthenticate: at most ${USER_LIMIT} checked (401), the rest 429, the sign-in not refreshed`, async () => {
    const user = await totpUser();
    const before = await app.query<{ auth_time: Date }>('SELECT auth_time FROM sessions WHERE user_id = $1', [
      user.userId,
    ]);
    const code = wrongCode(user.secret);

    const responses = await all(200, () =>
      app
        .http()
        .post('/api/auth/reauthenticate')
        .set('Authorization', `Bearer ${user.accessToken}`)
        .send({ code }),
    );

    await expectUserLimitHeld(responses, 401, 'the proof is wrong', user.userId);
    const after = await app.query<{ auth_time: Date }>('SELECT auth_time FROM sessions WHERE user_id = $1', [
      user.userId,
    ]);
    expect(after).toEqual(before);
  }, 60_000);

  it(`300 concurrent wrong codes on one mfaToken from 30 addresses: ${CODES_PER_CHALLENGE} checked, the rest refused unchecked, then the token is dead`, async () => {
    const user = await totpUser();
    const started = await app.http().post('/api/auth/login').send({ email: user.email, password: PASSWORD });
    expect(started.status).toBe(200);
    const mfaToken = started.body.mfaToken as string;
    expect(typeof mfaToken).toBe('string');
    const code = wrongCode(user.secret);

    const responses = await all(300, (index) =>
      app
        .http()
        .post('/api/auth/mfa/verify')
        .set('X-Forwarded-For', `203.0.113.${(index % 30) + 1}`)
        .send({ mfaToken, code }),
    );

    const counts = statusCounts(responses);
    const checked = answered(responses, 401, WRONG_CODE);
    const dead = answered(responses, 401, DEAD_CHALLENGE);
    const throttled = answered(responses, 429);
    expect(responses.filter((response) => response.status >= 500)).toEqual([]);
    expect({ counts, checked: checked.length <= CODES_PER_CHALLENGE }).toEqual({ counts, checked: true });
    expect(checked.length + dead.length + throttled.length).toBe(300);
    expectThrottled(throttled);
    for (const response of [...checked, ...dead]) expectNestError(response.body, 401);

    const [challenge] = await app.query<{ attempts: number; consumed_at: Date | null }>(
      'SELECT attempts, consumed_at FROM mfa_challenges WHERE user_id = $1',
      [user.userId],
    );
    expect(challenge).toEqual({ attempts: CODES_PER_CHALLENGE, consumed_at: null });
    expect(await failuresOf(user.userId)).toBe(checked.length);

    // Dead: the right code no longer opens it.
    const right = await app
      .http()
      .post('/api/auth/mfa/verify')
      .send({ mfaToken, code: await user.authenticator.nextCode() });
    expect({ status: right.status, message: right.body.message }).toEqual({
      status: 401,
      message: DEAD_CHALLENGE,
    });
    expect(right.body.accessToken).toBeUndefined();
  }, 60_000);
});
