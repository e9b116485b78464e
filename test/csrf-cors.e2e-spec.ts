import {
  LoggedIn,
  me,
  PASSWORD,
  refresh,
  refreshCookie,
  register,
  signUp,
  uniqueEmail,
} from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { TestApp } from './support/test-app';

const ALLOWED = 'https://app.example.com';
const EVIL = 'https://evil.example';

describeEachDatabase('CSRF defence and CORS', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind, { env: { CORS_ORIGINS: ALLOWED, THROTTLE_LOGIN_LIMIT: '1000' } });
  });
  afterAll(async () => {
    await app.stop();
  });

  const logout = (cookie: string) => app.http().post('/api/auth/logout').set('Cookie', cookie);

  /** The session survived: its access token works and its cookie refreshes from a request with no Origin. */
  async function expectAlive(session: LoggedIn): Promise<void> {
    await me(app, session.accessToken).expect(200);
    const response = await refresh(app, session.cookie);
    expect(response.status).toBe(200);
    expect(refreshCookie(response)).toBeDefined();
  }

  function expectRefusedWithoutTouchingTheCookie(response: Parameters<typeof refreshCookie>[0]): void {
    expect(response.status).toBe(403);
    expect(response.body.statusCode).toBe(403);
    expect(response.body.error).toBe('Forbidden');
    // A cross-site page must not be able to log the user out by having the cookie cleared either.
    expect(refreshCookie(response)).toBeUndefined();
  }

  describe('refresh and logout from a foreign page', () => {
    it.each([
      ['an unlisted Origin', EVIL],
      ['a look-alike Origin', 'https://app.example.com.evil.example'],
      ['a listed host with another scheme', 'http://app.example.com'],
      ['an opaque Origin', 'null'],
    ])('refuses refresh with %s (403) and the session still works', async (_name, origin) => {
      const session = await signUp(app);
      expectRefusedWithoutTouchingTheCookie(await refresh(app, session.cookie).set('Origin', origin));
      await expectAlive(session);
    });

    it('refuses logout with an unlisted Origin (403) and the session is not revoked', async () => {
      const session = await signUp(app);
      expectRefusedWithoutTouchingTheCookie(await logout(session.cookie).set('Origin', EVIL));
      await expectAlive(session);
    });

    it('refuses refresh and logout marked Sec-Fetch-Site: cross-site (403)', async () => {
      const session = await signUp(app);
      expectRefusedWithoutTouchingTheCookie(
        await refresh(app, session.cookie).set('Sec-Fetch-Site', 'cross-site'),
      );
      expectRefusedWithoutTouchingTheCookie(await logout(session.cookie).set('Sec-Fetch-Site', 'cross-site'));
      await expectAlive(session);
    });

    it('refuses Sec-Fetch-Site: cross-site even with a listed Origin', async () => {
      const session = await signUp(app);
      expectRefusedWithoutTouchingTheCookie(
        await refresh(app, session.cookie).set('Origin', ALLOWED).set('Sec-Fetch-Site', 'cross-site'),
      );
      await expectAlive(session);
    });
  });

  describe('login and registration from a foreign page (login CSRF)', () => {
    const loginWith = (email: string, headers: Record<string, string>) =>
      app.http().post('/api/auth/login').set(headers).send({ email, password: PASSWORD });
    const registerWith = (email: string, headers: Record<string, string>) =>
      app.http().post('/api/auth/register').set(headers).send({ email, password: PASSWORD });

    it.each([
      ['an unlisted Origin', { Origin: EVIL }],
      ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
      ['cross-site with a listed Origin', { Origin: ALLOWED, 'Sec-Fetch-Site': 'cross-site' }],
    ])(
      'refuses a login with %s (403), the right password included, and sets no cookie',
      async (_name, headers) => {
        const email = uniqueEmail('login-csrf');
        await register(app, email);
        const response = await loginWith(email, headers);
        expectRefusedWithoutTouchingTheCookie(response);
        expect(response.body.accessToken).toBeUndefined();
        const sessions = await app.query(
          'SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1',
          [email],
        );
        expect(sessions).toHaveLength(0);
      },
    );

    it.each([
      ['an unlisted Origin', { Origin: EVIL }],
      ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
    ])('refuses a registration with %s (403) and creates no user', async (_name, headers) => {
      const email = uniqueEmail('register-csrf');
      const response = await registerWith(email, headers);
      expect(response.status).toBe(403);
      expect(await app.query('SELECT id FROM users WHERE email = $1', [email])).toHaveLength(0);
    });

    it('allows login and registration from a listed Origin, the server’s own and no Origin at all', async () => {
      const email = uniqueEmail('login-ok');
      await registerWith(email, { Origin: ALLOWED, 'Sec-Fetch-Site': 'same-site' }).expect(201);
      await loginWith(email, { Origin: ALLOWED }).expect(200);
      await loginWith(email, { 'Sec-Fetch-Site': 'same-origin' }).expect(200);
      await loginWith(email, {}).expect(200);
    });
  });

  describe('refresh and logout from a trusted page', () => {
    it('allows an Origin listed in CORS_ORIGINS', async () => {
      const session = await signUp(app);
      const refreshed = await refresh(app, session.cookie).set('Origin', ALLOWED);
      expect(refreshed.status).toBe(200);
      const next = refreshCookie(refreshed)!;
      expect(next).toBeDefined();
      const out = await logout(next).set('Origin', ALLOWED);
      expect(out.status).toBe(204);
      await refresh(app, next).expect(401);
    });

    it('allows the server’s own origin (the Origin naming the Host the request was sent to)', async () => {
      const session = await signUp(app);
      const refreshed = await refresh(app, session.cookie)
        .set('Host', 'api.test')
        .set('Origin', 'http://api.test');
      expect(refreshed.status).toBe(200);
      const next = refreshCookie(refreshed)!;
      expect(next).toBeDefined();
      const out = await logout(next).set('Host', 'api.test').set('Origin', 'http://api.test');
      expect(out.status).toBe(204);
      await refresh(app, next).expect(401);
    });

    it('refuses an Origin naming a host other than the one the request was sent to', async () => {
      const session = await signUp(app);
      expectRefusedWithoutTouchingTheCookie(
        await refresh(app, session.cookie).set('Host', 'api.test').set('Origin', 'http://other.test'),
      );
      await expectAlive(session);
    });

    it('allows a request with no Origin (curl, mobile apps)', async () => {
      const session = await signUp(app);
      const refreshed = await refresh(app, session.cookie);
      expect(refreshed.status).toBe(200);
      const next = refreshCookie(refreshed)!;
      await logout(next).expect(204);
      await refresh(app, next).expect(401);
    });

    it('allows Sec-Fetch-Site: same-origin', async () => {
      const session = await signUp(app);
      await refresh(app, session.cookie).set('Sec-Fetch-Site', 'same-origin').expect(200);
    });
  });

  describe('CORS', () => {
    const varyOf = (header: string | string[] | undefined) =>
      [header ?? '']
        .flat()
        .join(',')
        .split(',')
        .map((v) => v.trim().toLowerCase());

    it('names a listed origin, with credentials and Vary: Origin', async () => {
      const response = await app.http().get('/api/health').set('Origin', ALLOWED);
      expect(response.status).toBe(200);
      expect(response.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(response.headers['access-control-allow-credentials']).toBe('true');
      expect(varyOf(response.headers.vary)).toContain('origin');
    });

    it('names a listed origin on a credentialed refresh too', async () => {
      const session = await signUp(app);
      const response = await refresh(app, session.cookie).set('Origin', ALLOWED);
      expect(response.status).toBe(200);
      expect(response.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(response.headers['access-control-allow-credentials']).toBe('true');
      expect(varyOf(response.headers.vary)).toContain('origin');
    });

    it('answers a preflight for POST /api/auth/refresh from a listed origin', async () => {
      const response = await app
        .http()
        .options('/api/auth/refresh')
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type');
      expect(response.status).toBeGreaterThanOrEqual(200);
      expect(response.status).toBeLessThan(300);
      expect(response.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(response.headers['access-control-allow-credentials']).toBe('true');
      expect(varyOf(response.headers.vary)).toContain('origin');
      expect(String(response.headers['access-control-allow-methods'])).toContain('POST');
    });

    it('gives an unlisted origin no Access-Control-Allow-Origin at all', async () => {
      const simple = await app.http().get('/api/health').set('Origin', EVIL);
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();
      expect(simple.headers['access-control-allow-credentials']).toBeUndefined();
      const preflight = await app
        .http()
        .options('/api/auth/refresh')
        .set('Origin', EVIL)
        .set('Access-Control-Request-Method', 'POST');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it('never answers with a wildcard origin', async () => {
      for (const origin of [ALLOWED, EVIL, undefined]) {
        const request = app.http().get('/api/health');
        const response = await (origin ? request.set('Origin', origin) : request);
        expect(response.headers['access-control-allow-origin']).not.toBe('*');
      }
    });
  });
});
