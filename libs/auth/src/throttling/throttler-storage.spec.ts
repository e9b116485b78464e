import { loadConfig } from '@gatehouse/config';
import { createServer } from 'node:net';
import { RateLimitStorage } from './throttler-storage';

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('RateLimitStorage', () => {
  it('counts in memory without REDIS_URL', async () => {
    const storage = new RateLimitStorage(loadConfig({}));
    try {
      const first = await storage.increment('k', 60_000, 2, 60_000, 'login-ip');
      await storage.increment('k', 60_000, 2, 60_000, 'login-ip');
      const third = await storage.increment('k', 60_000, 2, 60_000, 'login-ip');
      expect(first).toMatchObject({ totalHits: 1, isBlocked: false });
      expect(third.isBlocked).toBe(true);
      expect(third.timeToBlockExpire).toBeGreaterThan(0);
    } finally {
      storage.onModuleDestroy();
    }
  });

  it('keeps counting, in memory, when Redis is unreachable', async () => {
    const storage = new RateLimitStorage(
      loadConfig({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` }),
    );
    try {
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await storage.increment('k', 60_000, 2, 60_000, 'login-ip'));
      expect(results.map((r) => r.totalHits)).toEqual([1, 2, 3]);
      expect(results[2].isBlocked).toBe(true);
    } finally {
      storage.onModuleDestroy();
    }
  });

  describe('countInWindow (a limit on every request of a credential)', () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    async function countsAndResets(storage: RateLimitStorage): Promise<void> {
      const key = `window-${Math.random()}`;
      const hits = [];
      for (let i = 0; i < 3; i++) hits.push(await storage.countInWindow(key, 300));
      expect(hits.map((count) => count.hits)).toEqual([1, 2, 3]);
      expect(hits[2].resetsInMs).toBeGreaterThan(0);
      expect(hits[2].resetsInMs).toBeLessThanOrEqual(300);
      expect((await storage.countInWindow(`${key}-other`, 300)).hits).toBe(1);
      await sleep(400);
      expect((await storage.countInWindow(key, 300)).hits).toBe(1);
    }

    it('counts in memory without REDIS_URL, and starts a new window once one ends', async () => {
      const storage = new RateLimitStorage(loadConfig({}));
      try {
        await countsAndResets(storage);
      } finally {
        storage.onModuleDestroy();
      }
    });

    it('counts in memory while Redis is unreachable', async () => {
      const storage = new RateLimitStorage(
        loadConfig({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` }),
      );
      try {
        await countsAndResets(storage);
      } finally {
        storage.onModuleDestroy();
      }
    });

    const redisUrl = process.env.TEST_REDIS_URL?.trim();
    // CI always runs a Redis server; without one the shared path is the only thing left untested here.
    if (redisUrl) {
      it('counts in Redis, one count for every instance', async () => {
        const a = new RateLimitStorage(loadConfig({ REDIS_URL: redisUrl }));
        const b = new RateLimitStorage(loadConfig({ REDIS_URL: redisUrl }));
        try {
          const key = `shared-${Math.random()}`;
          // Both connected first: a command sent before that is counted in memory, by design.
          const connected = (storage: RateLimitStorage) =>
            (storage as unknown as { redis: { status: string } }).redis.status === 'ready';
          for (let waited = 0; !(connected(a) && connected(b)) && waited < 5000; waited += 50)
            await sleep(50);
          expect((await a.countInWindow(key, 1000)).hits).toBe(1);
          expect((await b.countInWindow(key, 1000)).hits).toBe(2);
          const third = await a.countInWindow(key, 1000);
          expect(third.hits).toBe(3);
          expect(third.resetsInMs).toBeLessThanOrEqual(1000);
          await countsAndResets(a);
        } finally {
          a.onModuleDestroy();
          b.onModuleDestroy();
        }
      });
    }
  });
});
