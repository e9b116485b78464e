import { PASSWORD, refresh, register, signUp, uniqueEmail } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { TestApp } from './support/test-app';

const LIMITS = {
  THROTTLE_LOGIN_LIMIT: '3',
  THROTTLE_LOGIN_TTL: '60',
  THROTTLE_REGISTER_LIMIT: '3',
  THROTTLE_REFRESH_LIMIT: '3',
};

let nextAddress = 1;
const freshAddress = () => `203.0.113.${nextAddress++}`;

describeEachDatabase('rate limits behind a trusted proxy', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind, { env: { ...LIMITS, TRUST_PROXY: 'true' } });
  });
  afterAll(async () => {
    await app.stop();
  });

  const loginFrom = (address: string, email: string, password = PASSWORD) =>
    app.http().post('/api/auth/login').set('X-Forwarded-For', address).send({ email, password });

  function expectThrottled(response: {
    status: number;
    headers: Record<string, string>;
    body: Record<string, unknown>;
  }) {
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
    const seconds = Number(response.headers['retry-after']);
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(response.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
  }

  it('limits logins per email across addresses, the right password included', async () => {
    const email = uniqueEmail('victim');
    await register(app, email);
    for (let i = 0; i < 3; i++) await loginFrom(freshAddress(), email, 'a wrong password, again').expect(401);
    expectThrottled(await loginFrom(freshAddress(), email));
  });

  it('limits logins per address across emails', async () => {
    const address = freshAddress();
    for (let i = 0; i < 3; i++) await loginFrom(address, uniqueEmail('nobody'), 'whatever it is').expect(401);
    const email = uniqueEmail('innocent');
    await register(app, email);
    expectThrottled(await loginFrom(address, email));
    // The same account from another address, and another address altogether, are not affected.
    await loginFrom(freshAddress(), email).expect(200);
  });

  it('limits registrations per address', async () => {
    const address = freshAddress();
    const registerFrom = () =>
      app
        .http()
        .post('/api/auth/register')
        .set('X-Forwarded-For', address)
        .send({ email: uniqueEmail(), password: PASSWORD });
    for (let i = 0; i < 3; i++) await registerFrom().expect(201);
    expectThrottled(await registerFrom());
    await app
      .http()
      .post('/api/auth/register')
      .set('X-Forwarded-For', freshAddress())
      .send({ email: uniqueEmail(), password: PASSWORD })
      .expect(201);
  });

  it('limits refreshes per address without clearing the cookie', async () => {
    const address = freshAddress();
    const session = await signUp(app);
    let cookie = session.cookie;
    for (let i = 0; i < 3; i++) {
      const response = await refresh(app, cookie).set('X-Forwarded-For', address).expect(200);
      cookie = response.headers['set-cookie'][0].split(';')[0];
    }
    const throttled = await refresh(app, cookie).set('X-Forwarded-For', address);
    expectThrottled(throttled);
    expect(throttled.headers['set-cookie']).toBeUndefined();
    await refresh(app, cookie).set('X-Forwarded-For', freshAddress()).expect(200);
  });
});

describeEachDatabase('password guesses behind a bearer token', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind, { env: { ...LIMITS, TRUST_PROXY: 'true' } });
  });
  afterAll(async () => {
    await app.stop();
  });

  const loginFrom = (address: string, email: string, password = PASSWORD) =>
    app.http().post('/api/auth/login').set('X-Forwarded-For', address).send({ email, password });

  it('counts wrong current passwords against the account’s login limit, shared with login', async () => {
    const email = uniqueEmail('oracle');
    await register(app, email);
    const session = await loginFrom(freshAddress(), email).expect(200);
    const [before] = await app.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE email = $1',
      [email],
    );
    const changePassword = (currentPassword: string) =>
      app
        .http()
        .post('/api/auth/password')
        .set('X-Forwarded-For', freshAddress())
        .set('Authorization', `Bearer ${session.body.accessToken}`)
        .send({ currentPassword, newPassword: 'a brand new passphrase for this account' });

    // The login above was the first attempt at this account; two wrong guesses reach the limit of 3.
    await changePassword('a wrong guess at the password').expect(403);
    await changePassword('another wrong guess at it').expect(403);
    const throttled = await changePassword(PASSWORD);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(throttled.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    // The same counter stops logins to the account from any address, the right password included.
    expect((await loginFrom(freshAddress(), email)).status).toBe(429);
    const [after] = await app.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE email = $1',
      [email],
    );
    expect(after.password_hash).toBe(before.password_hash);
  });
});

describeEachDatabase('public routes are throttled by default', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind, { env: { THROTTLE_PUBLIC_LIMIT: '3', THROTTLE_PUBLIC_TTL: '60' } });
  });
  afterAll(async () => {
    await app.stop();
  });

  it('limits a public route without a limit of its own (logout) per address', async () => {
    for (let i = 0; i < 3; i++) await app.http().post('/api/auth/logout').expect(204);
    const response = await app.http().post('/api/auth/logout');
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
    expect(response.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
  });

  it('never limits the health probe', async () => {
    for (let i = 0; i < 10; i++) await app.http().get('/api/health').expect(200);
  });

  it('leaves bearer routes to their own guard', async () => {
    const session = await signUp(app);
    for (let i = 0; i < 10; i++) {
      await app.http().get('/api/users/me').set('Authorization', `Bearer ${session.accessToken}`).expect(200);
    }
  });
});

describeEachDatabase('rate limits without a trusted proxy', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind, { env: LIMITS });
  });
  afterAll(async () => {
    await app.stop();
  });

  it('ignores X-Forwarded-For: a client cannot pick its own address', async () => {
    for (let i = 0; i < 3; i++) {
      await app
        .http()
        .post('/api/auth/login')
        .set('X-Forwarded-For', freshAddress())
        .send({ email: uniqueEmail('spoof'), password: 'whatever it is' })
        .expect(401);
    }
    const response = await app
      .http()
      .post('/api/auth/login')
      .set('X-Forwarded-For', freshAddress())
      .send({ email: uniqueEmail('spoof'), password: 'whatever it is' });
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
  });
});

describeEachDatabase('no account enumeration at login', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind);
  });
  afterAll(async () => {
    await app.stop();
  });

  it('answers an unknown email and a wrong password alike, in comparable time', async () => {
    const email = uniqueEmail('known');
    await register(app, email);
    const timed = async (body: object) => {
      const started = process.hrtime.bigint();
      const response = await app.http().post('/api/auth/login').send(body);
      return { response, ms: Number(process.hrtime.bigint() - started) / 1e6 };
    };
    const unknown = await timed({ email: uniqueEmail('unknown'), password: 'a wrong password, surely' });
    const wrong = await timed({ email, password: 'a wrong password, surely' });
    expect(unknown.response.status).toBe(401);
    expect(wrong.response.status).toBe(401);
    expect(unknown.response.body).toEqual(wrong.response.body);
    expect(unknown.response.headers['set-cookie']).toBeUndefined();

    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const unknownTimes: number[] = [];
    const wrongTimes: number[] = [];
    for (let i = 0; i < 9; i++) {
      unknownTimes.push((await timed({ email: uniqueEmail('unknown'), password: 'a wrong password' })).ms);
      wrongTimes.push((await timed({ email, password: 'a wrong password' })).ms);
    }
    const ratio = median(unknownTimes) / median(wrongTimes);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});
