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
});
