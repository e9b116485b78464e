import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** A key's `lastUsedAt` moves at most once a minute. */
const WRITE_EVERY_MS = 60_000;
const FLUSH_INTERVAL_MS = 10_000;

/**
 * Keeps API keys' `lastUsedAt`, off the request's path: a use is noted in memory, and a timer writes the keys
 * whose mark is a minute old in one statement (which skips a key another instance marked within the minute).
 */
@Injectable()
export class ApiKeyUsage implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(ApiKeyUsage.name);
  /** When each key was last marked used in the database, as far as this instance knows (ms since the epoch). */
  private readonly marked = new Map<string, number>();
  private pending = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** A use of the key; `lastUsedAt` is what the database said when its verdict was read. */
  used(keyId: string, lastUsedAt = 0, now = Date.now()): void {
    const marked = Math.max(this.marked.get(keyId) ?? 0, lastUsedAt);
    if (now - marked < WRITE_EVERY_MS || this.pending.has(keyId)) return;
    this.pending.add(keyId);
    this.marked.set(keyId, now);
  }

  /** Writes the pending marks now (a timer calls it; so may a test or a shutdown). */
  async flush(): Promise<void> {
    const now = Date.now();
    for (const [keyId, at] of this.marked) {
      if (now - at > 2 * WRITE_EVERY_MS && !this.pending.has(keyId)) this.marked.delete(keyId);
    }
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending = new Set();
    try {
      await this.dataSource.query(
        `UPDATE api_keys SET last_used_at = now()
          WHERE id = ANY($1::uuid[]) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
        [ids],
      );
    } catch (error) {
      // A mark is worth a retry a minute later, never an error on anyone's request.
      for (const id of ids) this.marked.delete(id);
      this.log.warn(
        `could not mark API keys used: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
