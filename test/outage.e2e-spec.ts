import { Response } from 'supertest';
import { me, refresh, refreshCookie, refreshCookieLine, signUp } from './support/auth-client';
import { serverUrl } from './support/databases';
import { DataSource } from 'typeorm';
import { TestApp } from './support/test-app';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Repeats a request until it answers `status` or the deadline passes; returns the last answer. */
async function eventually(
  send: () => Promise<Response>,
  status: number,
  deadlineMs = 5000,
): Promise<Response> {
  const end = Date.now() + deadlineMs;
  let response = await send();
  while (response.status !== status && Date.now() < end) {
    await sleep(250);
    response = await send();
  }
  return response;
}

describe('the embedded database closed during refresh [PGlite]', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start('pglite');
  });
  afterAll(async () => {
    await app.stop();
  });

  it('answers 503 without touching the cookie, then the same cookie refreshes once it is open again', async () => {
    const session = await signUp(app);
    const database = app.app.get(DataSource);
    await database.destroy();
    try {
      const during = await refresh(app, session.cookie);
      expect(during.status).toBe(503);
      expect(during.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
      expect(during.headers['set-cookie']).toBeUndefined();
      const health = await app.http().get('/api/health');
      expect(health.status).toBe(503);
    } finally {
      await database.initialize();
    }
    const after = await refresh(app, session.cookie);
    expect(after.status).toBe(200);
    await me(app, after.body.accessToken).expect(200);
    await app.http().get('/api/health').expect(200);
  }, 30_000);
});

if (!serverUrl) {
  process.stderr.write('TEST_DATABASE_URL is not set: the PostgreSQL network outage suite does not run\n');
} else {
  describe('a PostgreSQL outage during refresh [PostgreSQL]', () => {
    let app: TestApp;

    beforeAll(async () => {
      app = await TestApp.start('postgres', { throughProxy: true });
    });
    afterAll(async () => {
      await app.stop();
    });

    it('answers 503 without touching the cookie, then the same cookie refreshes once the database is back', async () => {
      const session = await signUp(app);
      await app.http().get('/api/health').expect(200);

      await app.proxy!.cut();
      try {
        const during = await refresh(app, session.cookie);
        expect(during.status).toBe(503);
        expect(during.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
        expect(typeof during.body.message).toBe('string');
        expect(JSON.stringify(during.body)).not.toMatch(/ECONN|stack|SELECT|UPDATE|QueryFailed|127\.0\.0\.1/);
        // A blip must not log the user out: no new cookie, and above all no cleared one.
        expect(refreshCookieLine(during)).toBeUndefined();
        expect(during.headers['set-cookie']).toBeUndefined();

        const health = await app.http().get('/api/health');
        expect(health.status).toBe(503);
        expect(health.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
      } finally {
        await app.proxy!.restore();
      }

      const after = await eventually(() => refresh(app, session.cookie), 200);
      expect(after.status).toBe(200);
      expect(after.body).toMatchObject({ tokenType: 'Bearer', user: { id: session.userId } });
      expect(refreshCookie(after)).toBeDefined();
      await me(app, after.body.accessToken).expect(200);
      const health = await eventually(() => app.http().get('/api/health'), 200);
      expect(health.status).toBe(200);
      expect(health.body).toEqual({ status: 'ok', database: 'up' });
    }, 30_000);
  });
}
