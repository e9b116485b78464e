import { AppConfig } from '@gatehouse/config';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import Redis from 'ioredis';

type StorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

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
