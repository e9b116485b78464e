import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** What a `pg` pool knows about its connections. */
export interface PoolCounts {
  /** Connections open, idle or lent out. */
  total: number;
  idle: number;
  /** Queries waiting for a connection: the pool is too small or the database too slow. */
  waiting: number;
}

interface CountingPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

function isCountingPool(pool: unknown): pool is CountingPool {
  const candidate = pool as Partial<CountingPool> | undefined;
  return (
    typeof candidate?.totalCount === 'number' &&
    typeof candidate.idleCount === 'number' &&
    typeof candidate.waitingCount === 'number'
  );
}

/**
 * The connection pool's counts, read from the `pg` pool TypeORM holds. Undefined on the embedded database: it
 * is one session lent to one query at a time, not a pool of connections, so there is nothing comparable.
 */
@Injectable()
export class ConnectionPoolStats {
  constructor(private readonly dataSource: DataSource) {}

  read(): PoolCounts | undefined {
    const pool = (this.dataSource.driver as { master?: unknown }).master;
    if (!isCountingPool(pool)) return undefined;
    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  }
}
