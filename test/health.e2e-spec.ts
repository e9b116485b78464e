import { DataSource } from 'typeorm';
import { PASSWORD, uniqueEmail } from './support/auth-client';
import { DatabaseKind, describeEachDatabase, redisUrl } from './support/databases';
import { freePort } from './support/server-process';
import { TestApp } from './support/test-app';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const INTERNALS = /ECONN|stack|SELECT|QueryFailed|127\.0\.0\.1|localhost|postgres|pglite|timeout/i;

/** Polls `path` until it answers `status`; returns how long that took, or throws after the deadline. */
async function timeUntil(app: TestApp, path: string, status: number, deadlineMs = 15_000): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < deadlineMs) {
    if ((await app.http().get(path)).status === status) return Date.now() - start;
    await sleep(100);
  }
  throw new Error(`${path} did not answer ${status} within ${deadlineMs} ms`);
}

/**
 * Makes the database stop answering without failing: PGlite held by a transaction that never ends (every other
 * query waits for it), PostgreSQL behind a relay that stops relaying. Returns what brings it back.
 */
async function freezeDatabase(app: TestApp): Promise<() => Promise<void>> {
  if (app.kind === 'pglite') {
    const holder = app.app.get(DataSource).createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    return async () => {
      await holder.rollbackTransaction();
      await holder.release();
    };
  }
  app.proxy!.freeze();
  return async () => {
    // The frozen connections never answer again: drop them, so the pool opens new ones.
    await app.proxy!.cut();
    await app.proxy!.restore();
  };
}

// A public limit far below what an orchestrator's polling adds up to: probes are not counted.
const EVERYTHING_ANSWERS = { THROTTLE_PUBLIC_LIMIT: '3' };

describeEachDatabase('health probes', (kind: DatabaseKind) => {
  // One app and database for the whole file, restarted with each part's settings: no probe depends on what the
  // database holds, and a restart costs a fraction of a start on a new database. On PostgreSQL the database is
  // reached through a relay, which only the part where the database stops answering interrupts.
  let app: TestApp;

  beforeAll(async () => {
    // Started with the settings of the first part.
    app = await TestApp.start(kind, { throughProxy: true, env: EVERYTHING_ANSWERS });
  });
  afterAll(async () => {
    await app?.stop();
  });

  describe('while everything answers', () => {
    it('answers live and ready with 200, uncached, however often they are polled', async () => {
      for (let i = 0; i < 8; i++) {
        const live = await app.http().get('/api/health/live').expect(200);
        expect(live.body).toEqual({ status: 'ok' });
        expect(live.headers['cache-control']).toBe('no-store');
        const ready = await app.http().get('/api/health/ready').expect(200);
        expect(ready.body).toEqual({ status: 'ok', details: { database: { status: 'up' } } });
        expect(ready.headers['cache-control']).toBe('no-store');
      }
    });

    it('keeps GET /api/health as it was', async () => {
      const health = await app.http().get('/api/health').expect(200);
      expect(health.body).toEqual({ status: 'ok', database: 'up' });
    });

    it('documents the probes with their 200 and 503 answers', async () => {
      const { body } = await app.http().get('/api/docs-json').expect(200);
      for (const path of ['/api/health/live', '/api/health/ready']) expect(body.paths[path]).toBeDefined();
      expect(Object.keys(body.paths['/api/health/ready'].get.responses)).toEqual(
        expect.arrayContaining(['200', '503']),
      );
    });
  });

  describe('when the database stops answering', () => {
    beforeAll(async () => {
      await app.restartWith({});
    });

    it('answers ready 503 within about 2 s, live stays 200, and nothing internal is said', async () => {
      await app.http().get('/api/health/ready').expect(200);
      const thaw = await freezeDatabase(app);
      try {
        const started = Date.now();
        const ready = await app.http().get('/api/health/ready');
        const took = Date.now() - started;
        expect(ready.status).toBe(503);
        // The ping gives up after 2 s; the rest is a slow, shared machine.
        expect(took).toBeGreaterThanOrEqual(1_900);
        expect(took).toBeLessThan(5_000);
        expect(ready.headers['cache-control']).toBe('no-store');
        expect(ready.body).toEqual({
          statusCode: 503,
          error: 'Service Unavailable',
          message: 'database is unreachable',
          status: 'error',
          details: { database: { status: 'down' } },
        });
        expect(JSON.stringify(ready.body)).not.toMatch(INTERNALS);

        const live = await app.http().get('/api/health/live');
        expect(live.status).toBe(200);
        expect(live.body).toEqual({ status: 'ok' });

        const health = await app.http().get('/api/health');
        expect(health.status).toBe(503);
        expect(health.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
      } finally {
        await thaw();
      }
      await timeUntil(app, '/api/health/ready', 200);
    }, 60_000);
  });

  describe('with Redis and SMTP configured but out of reach', () => {
    beforeAll(async () => {
      const [redisPort, smtpPort] = [await freePort(), await freePort()];
      await app.restartWith({
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      });
    });

    it('stays ready (both fail open) and reports them down', async () => {
      const ready = await app.http().get('/api/health/ready').expect(200);
      expect(ready.body).toEqual({
        status: 'ok',
        details: { database: { status: 'up' }, redis: { status: 'down' }, smtp: { status: 'down' } },
      });
    });
  });

  if (redisUrl) {
    describe('with shared rate limits in Redis', () => {
      beforeAll(async () => {
        await app.restartWith({ REDIS_URL: redisUrl });
      });

      it('reports Redis up', async () => {
        const ready = await app.http().get('/api/health/ready').expect(200);
        expect(ready.body.details).toEqual({ database: { status: 'up' }, redis: { status: 'up' } });
      });
    });
  }

  // Last: it shuts the app down.
  describe('during shutdown', () => {
    let base: string;

    beforeAll(async () => {
      await app.restartWith({ SHUTDOWN_DELAY: '2' });
      // Real sockets: the listener closing is part of what is tested.
      await app.app.listen({ port: 0, host: '127.0.0.1' });
      base = await app.app.getUrl();
    });

    it('answers ready 503 from the moment shutdown begins, while requests in flight and new ones are served', async () => {
      expect((await fetch(`${base}/api/health/ready`)).status).toBe(200);
      const register = (email: string) =>
        fetch(`${base}/api/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: PASSWORD }),
        }).then((response) => response.status);
      // Each waits its turn for argon2, so most are still in flight when the close begins.
      const inFlight = Array.from({ length: 6 }, () => register(uniqueEmail('draining')));
      await sleep(50);

      const closed = app.close();
      const ready = await fetch(`${base}/api/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.headers.get('cache-control')).toBe('no-store');
      expect(await ready.json()).toMatchObject({
        statusCode: 503,
        error: 'Service Unavailable',
        status: 'shutting_down',
      });
      // Still alive, and still serving whatever a balancer sends before it notices.
      expect((await fetch(`${base}/api/health/live`)).status).toBe(200);
      expect(await register(uniqueEmail('late'))).toBe(201);

      expect(await Promise.all(inFlight)).toEqual(Array(6).fill(201));
      await closed;
      await expect(fetch(`${base}/api/health/live`)).rejects.toThrow();
    }, 60_000);
  });
});
