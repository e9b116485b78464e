import { randomInt, randomUUID } from 'node:crypto';
import { Response } from 'supertest';
import { PASSWORD, register } from './support/auth-client';
import { redisUrl, serverUrl } from './support/databases';
import { TcpProxy } from './support/tcp-proxy';
import { TestApp } from './support/test-app';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LIMIT = 3;
const WRONG_PASSWORD = 'not the right passphrase, again';

/** The Redis server outlives this run: fresh emails and addresses keep other runs' counters out of the way. */
const freshEmail = (prefix: string) => `${prefix}-${randomUUID()}@example.com`;
const freshAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

function loginFrom(app: TestApp, address: string, email: string, password = PASSWORD) {
  return app.http().post('/api/auth/login').set('X-Forwarded-For', address).send({ email, password });
}

function expectThrottled(response: Response): void {
  expect(response.status).toBe(429);
  expect(response.headers['retry-after']).toMatch(/^\d+$/);
  expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(response.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
}

describe('rate limits without Redis: each instance counts alone [PGlite]', () => {
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    first = await TestApp.start('pglite', { env: { THROTTLE_LOGIN_LIMIT: String(LIMIT) } });
    second = await TestApp.start('pglite', { env: { THROTTLE_LOGIN_LIMIT: String(LIMIT) } });
  });
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
  });

  it('lets each instance take 3 attempts on one account before its own 429', async () => {
    const email = freshEmail('alone');
    await register(first, email);
    await register(second, email);
    const attempt = (app: TestApp, password: string) =>
      app.http().post('/api/auth/login').send({ email, password });

    // Two apps in one process share passport's strategy registry (the last one started wins), so a successful
    // login on `first` would be checked against `second`'s database: wrong passwords keep each app to itself.
    for (let i = 0; i < LIMIT; i++) await attempt(first, WRONG_PASSWORD).expect(401);
    expectThrottled(await attempt(first, PASSWORD));
    // The other instance has counted nothing of that: it takes its own three, then refuses even the right one.
    for (let i = 0; i < LIMIT; i++) await attempt(second, WRONG_PASSWORD).expect(401);
    expectThrottled(await attempt(second, PASSWORD));
  });
});

if (!redisUrl || !serverUrl) {
  process.stderr.write(
    `${redisUrl ? 'TEST_DATABASE_URL' : 'TEST_REDIS_URL'} is not set: rate limits shared between instances through Redis are not tested\n`,
  );
} else {
  const sharedRedisUrl = redisUrl;
  const redis = new URL(redisUrl);
  const redisHost = redis.hostname;
  const redisPort = Number(redis.port || 6379);
  const limits = { THROTTLE_LOGIN_LIMIT: String(LIMIT), TRUST_PROXY: 'true' };

  /** Two instances behind one load balancer: peers on one PostgreSQL database. */
  async function startPair(env: Record<string, string>): Promise<[TestApp, TestApp]> {
    const a = await TestApp.start('postgres', { env });
    return [a, await TestApp.startPeer(a)];
  }

  describe('rate limits shared through Redis by two instances', () => {
    let a: TestApp;
    let b: TestApp;

    beforeAll(async () => {
      [a, b] = await startPair({ ...limits, REDIS_URL: sharedRedisUrl });
    }, 120_000);
    afterAll(async () => {
      await b?.stop();
      await a?.stop();
    });

    it('counts logins of one account from one address on both: two on A and one on B, then 429 on either', async () => {
      const email = freshEmail('shared');
      const address = freshAddress();
      await register(a, email);
      await loginFrom(a, address, email).expect(200);
      await loginFrom(a, address, email).expect(200);
      await loginFrom(b, address, email).expect(200);
      expectThrottled(await loginFrom(b, address, email));
      expectThrottled(await loginFrom(a, address, email));
    });

    it('counts attempts on one account from many addresses on both instances', async () => {
      const email = freshEmail('target');
      await register(a, email);
      await loginFrom(a, freshAddress(), email, WRONG_PASSWORD).expect(401);
      await loginFrom(b, freshAddress(), email, WRONG_PASSWORD).expect(401);
      await loginFrom(a, freshAddress(), email, WRONG_PASSWORD).expect(401);
      // Refused whatever the password, wherever it lands.
      expectThrottled(await loginFrom(b, freshAddress(), email));
      expectThrottled(await loginFrom(a, freshAddress(), email));
    });

    it('counts attempts from one address on many accounts on both instances, and no other address', async () => {
      const address = freshAddress();
      await loginFrom(a, address, freshEmail('nobody'), WRONG_PASSWORD).expect(401);
      await loginFrom(b, address, freshEmail('nobody'), WRONG_PASSWORD).expect(401);
      await loginFrom(b, address, freshEmail('nobody'), WRONG_PASSWORD).expect(401);
      const email = freshEmail('innocent');
      await register(a, email);
      expectThrottled(await loginFrom(a, address, email));
      // The account itself is not locked: from another address it logs in on either instance.
      await loginFrom(b, freshAddress(), email).expect(200);
      await loginFrom(a, freshAddress(), email).expect(200);
    });
  });

  describe('a Redis outage', () => {
    const proxy = new TcpProxy(redisHost, redisPort);
    let a: TestApp;
    let b: TestApp;

    beforeAll(async () => {
      await proxy.start();
      [a, b] = await startPair({ ...limits, REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    }, 120_000);
    afterAll(async () => {
      await b?.stop();
      await a?.stop();
      await proxy.cut();
    });

    /**
     * Two logins on A and one on B of a fresh account from a fresh address, then a fourth on A: its status
     * (429 when the three were counted together).
     */
    async function fourthAcrossInstances(): Promise<Response> {
      const email = freshEmail('across');
      const address = freshAddress();
      await register(a, email);
      await loginFrom(a, address, email).expect(200);
      await loginFrom(a, address, email).expect(200);
      await loginFrom(b, address, email).expect(200);
      return loginFrom(a, address, email);
    }

    it('keeps logins working and throttled per instance while Redis is cut, and shares counts once it is back', async () => {
      // Through the relay, counting is shared.
      expectThrottled(await fourthAcrossInstances());

      await proxy.cut();
      try {
        const email = freshEmail('outage');
        const address = freshAddress();
        await register(a, email);
        // Fail open: the right password still logs in.
        const during = await loginFrom(a, address, email);
        expect(during.status).toBe(200);
        expect(typeof during.body.accessToken).toBe('string');
        // But not unthrottled: the instance counts alone and refuses the fourth attempt.
        await loginFrom(a, address, email).expect(200);
        await loginFrom(a, address, email).expect(200);
        expectThrottled(await loginFrom(a, address, email));
      } finally {
        await proxy.restore();
      }

      // Both instances reconnect on their own; until they have, a round may still count per instance.
      let fourth = await fourthAcrossInstances();
      const deadline = Date.now() + 15_000;
      while (fourth.status !== 429 && Date.now() < deadline) {
        await sleep(250);
        fourth = await fourthAcrossInstances();
      }
      expectThrottled(fourth);
      // And logins work again as usual.
      const email = freshEmail('after');
      await register(a, email);
      await loginFrom(b, freshAddress(), email).expect(200);
    }, 60_000);
  });
}
