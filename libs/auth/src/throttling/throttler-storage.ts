import { AppConfig } from '@gatehouse/config';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import Redis from 'ioredis';

type StorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const MAX_LOCAL_WINDOWS = 100_000;

/** A fixed-window count: how many hits the window has seen, this one included, and when it ends (ms from now). */
export interface WindowCount {
  readonly hits: number;
  readonly resetsInMs: number;
}

// One round trip: the count, the window's expiry set by its first hit, and the time left.
const COUNT_IN_WINDOW = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {hits, redis.call('PTTL', KEYS[1])}`;

/**
 * Where the rate-limit counters live: in Redis when REDIS_URL is set, so every instance counts together;
 * in this process's memory otherwise.
 *
 * When Redis is unreachable, counting falls back to memory until it answers again (fail open, but not
 * unthrottled): logins keep working through a Redis outage, each instance enforcing the limits alone.
 */
@Injectable()
export class RateLimitStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly memory = new ThrottlerStorageService();
  private readonly redis?: Redis;
  private readonly shared?: ThrottlerStorageRedisService;
  private readonly log = new Logger(RateLimitStorage.name);
  private degraded = false;
  private readonly windows = new Map<string, { hits: number; endsAt: number }>();

  constructor(config: AppConfig) {
    const url = config.throttle.redisUrl;
    if (!url) return;
    this.redis = new Redis(url, {
      // Fail a command at once while disconnected rather than queue it behind a login.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      commandTimeout: 500,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.redis.on('error', () => undefined);
    this.redis.on('ready', () => {
      if (this.degraded) this.log.log('Redis is back: rate limits are shared again');
      this.degraded = false;
    });
    this.shared = new ThrottlerStorageRedisService(this.redis);
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<StorageRecord> {
    if (this.shared) {
      try {
        return await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
      } catch (error) {
        if (!this.degraded) {
          this.degraded = true;
          const reason = error instanceof Error ? error.message : String(error);
          this.log.warn(`Redis unavailable (${reason}): counting rate limits in this instance only`);
        }
      }
    }
    return this.memory.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  /**
   * Counts a hit in `key`'s fixed window of `windowMs`, for limits on every request of a credential (an API key):
   * constant work per hit, where the throttler's own sliding log keeps and scans one entry per hit in the window.
   * Shared through Redis when set; in this process's memory otherwise, and while Redis does not answer.
   */
  countInWindow(key: string, windowMs: number): WindowCount | Promise<WindowCount> {
    // Answered at once when counting here: no promise on the path of every request of an API key.
    return this.redis && !this.degraded ? this.countShared(key, windowMs) : this.countHere(key, windowMs);
  }

  private async countShared(key: string, windowMs: number): Promise<WindowCount> {
    try {
      const [hits, ttl] = (await this.redis!.eval(
        COUNT_IN_WINDOW,
        1,
        `gatehouse:window:${key}`,
        windowMs,
      )) as [number, number];
      return { hits, resetsInMs: ttl > 0 ? ttl : windowMs };
    } catch {
      // As for the throttler's counters: count here until Redis answers again.
      return this.countHere(key, windowMs);
    }
  }

  private countHere(key: string, windowMs: number, now = Date.now()): WindowCount {
    let window = this.windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      if (this.windows.size >= MAX_LOCAL_WINDOWS) this.sweepWindows(now);
      window = { hits: 0, endsAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.hits++;
    return { hits: window.hits, resetsInMs: window.endsAt - now };
  }

  private sweepWindows(now: number): void {
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
    // Still full of live windows: drop the oldest rather than grow without bound.
    while (this.windows.size >= MAX_LOCAL_WINDOWS) this.windows.delete(this.windows.keys().next().value!);
  }

  /**
   * Marks `key` used for `ttlMs`: true the first time on any instance, false when it was already marked;
   * undefined when there is no Redis to ask (no REDIS_URL, or it does not answer): the caller keeps its own mark.
   * For one-time values that every instance must refuse twice (a DPoP proof's `jti`).
   */
  async markFirstUse(key: string, ttlMs: number): Promise<boolean | undefined> {
    if (!this.redis || this.degraded) return undefined;
    try {
      return (await this.redis.set(`gatehouse:once:${key}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
    } catch {
      return undefined;
    }
  }

  /**
   * Whether Redis answers a PING right now; `undefined` when no REDIS_URL is set (counting is local by design).
   * Bounded by the client's command timeout, so a probe never waits on a frozen Redis.
   */
  async sharedCountingUp(): Promise<boolean | undefined> {
    if (!this.redis) return undefined;
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  onModuleDestroy(): void {
    this.memory.onApplicationShutdown();
    this.redis?.disconnect(false);
  }
}
