import { PASSWORD, uniqueEmail } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { TestApp } from './support/test-app';

describeEachDatabase('POST /api/auth/register', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind);
  });
  afterAll(async () => {
    await app.stop();
  });

  const registerWith = (body: unknown) =>
    app
      .http()
      .post('/api/auth/register')
      .send(body as object);

  it('creates a user and answers 201 with the public user only', async () => {
    const email = uniqueEmail();
    const response = await registerWith({ email, password: PASSWORD, displayName: 'Ada' });
    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual([
      'createdAt',
      'displayName',
      'email',
      'emailVerified',
      'id',
      'roles',
    ]);
    // Nobody has proven they read mail at this address yet.
    expect(response.body).toMatchObject({ email, emailVerified: false, displayName: 'Ada', roles: ['user'] });
    expect(response.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(response.body)).not.toMatch(/argon2|hash|password/i);
  });

  it('stores the email trimmed, NFKC-normalised and lower-cased', async () => {
    const id = Date.now().toString(36);
    // A full-width "Ｍ" folds to "M" under NFKC, then to "m".
    const response = await registerWith({ email: `  Ｍixed${id}@Example.COM `, password: PASSWORD });
    expect(response.status).toBe(201);
    expect(response.body.email).toBe(`mixed${id}@example.com`);
  });

  it('answers 409 for an email already taken, whatever its case', async () => {
    const email = uniqueEmail('taken');
    await registerWith({ email, password: PASSWORD }).expect(201);
    const again = await registerWith({ email: email.toUpperCase(), password: PASSWORD });
    expect(again.status).toBe(409);
    expect(again.body.statusCode).toBe(409);
  });

  it('lets only one of two simultaneous registrations of an email succeed', async () => {
    const email = uniqueEmail('race');
    const answers = await Promise.all([1, 2, 3].map(() => registerWith({ email, password: PASSWORD })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409]);
  });

  it('refuses a password shorter than PASSWORD_MIN_LENGTH with a clear message', async () => {
    const response = await registerWith({ email: uniqueEmail(), password: 'short pass 12' });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body.message)).toMatch(/at least 15 characters/);
  });

  it('refuses a password longer than 128 characters and never truncates it', async () => {
    const response = await registerWith({ email: uniqueEmail(), password: 'p'.repeat(129) });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body.message)).toMatch(/at most 128/);
  });

  it('accepts 128 characters exactly, and counts characters, not bytes', async () => {
    const emoji = '🔐'.repeat(20); // 20 characters, 40 UTF-16 units
    await registerWith({ email: uniqueEmail(), password: 'x'.repeat(128) }).expect(201);
    await registerWith({ email: uniqueEmail(), password: emoji }).expect(201);
  });

  it('refuses a password on the common-password list', async () => {
    const response = await registerWith({ email: uniqueEmail(), password: '1qaz2wsx3edc4rfv' });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body.message)).toMatch(/common/);
  });

  it('keeps surrounding spaces in a password: they are part of it', async () => {
    const email = uniqueEmail('spaces');
    const password = `  ${PASSWORD}  `;
    await registerWith({ email, password }).expect(201);
    await app.http().post('/api/auth/login').send({ email, password: PASSWORD }).expect(401);
    await app.http().post('/api/auth/login').send({ email, password }).expect(200);
  });

  it('treats NFKC-equivalent passwords as the same password', async () => {
    const email = uniqueEmail('nfkc');
    await registerWith({ email, password: 'ｆｕｌｌｗｉｄｔｈ passphrase here' }).expect(201);
    await app
      .http()
      .post('/api/auth/login')
      .send({ email, password: 'fullwidth passphrase here' })
      .expect(200);
  });

  it('stores an argon2id hash with at least m=19 MiB, t=2, p=1, never the password', async () => {
    const email = uniqueEmail('hash');
    await registerWith({ email, password: PASSWORD }).expect(201);
    const [row] = await app.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE email = $1',
      [email],
    );
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/);
    const [, m, t, p] = /m=(\d+),t=(\d+),p=(\d+)/.exec(row.password_hash)!;
    expect(Number(m)).toBeGreaterThanOrEqual(19456);
    expect(Number(t)).toBeGreaterThanOrEqual(2);
    expect(Number(p)).toBeGreaterThanOrEqual(1);
    expect(row.password_hash).not.toContain(PASSWORD);
  });

  it.each([
    ['roles', { roles: ['admin'] }],
    ['isAdmin', { isAdmin: true }],
    ['id', { id: '00000000-0000-0000-0000-000000000000' }],
  ])('refuses the unknown property %s with a 400', async (_name, extra) => {
    const email = uniqueEmail();
    const response = await registerWith({ email, password: PASSWORD, ...extra });
    expect(response.status).toBe(400);
    const rows = await app.query('SELECT 1 FROM users WHERE email = $1', [email]);
    expect(rows).toHaveLength(0);
  });

  it.each([
    ['a missing email', { password: PASSWORD }],
    ['an invalid email', { email: 'not-an-email', password: PASSWORD }],
    ['an email over 254 characters', { email: `${'a'.repeat(250)}@example.com`, password: PASSWORD }],
    ['a missing password', { email: 'x@example.com' }],
    ['a numeric password', { email: 'x@example.com', password: 123456789012345 }],
    [
      'a display name over 100 characters',
      { email: 'x@example.com', password: PASSWORD, displayName: 'd'.repeat(101) },
    ],
  ])('refuses %s with a 400', async (_name, body) => {
    const response = await registerWith(body);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('Bad Request');
  });
});
