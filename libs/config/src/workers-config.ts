import { EnvReader } from './env-reader';

/** A ceiling that catches a typo (`WORKERS=20000`) rather than a real machine. */
const MAX_WORKERS = 256;

/**
 * WORKERS: how many processes serve the port. `1` (the default) is one process and no cluster at all; `auto` is
 * one per core the process may use (`os.availableParallelism()`, passed in as `cores`).
 */
export function readWorkers(env: EnvReader, cores: number): number {
  const text = env.raw('WORKERS')?.trim().toLowerCase();
  if (text === undefined) return 1;
  if (text === 'auto') return Math.max(1, Math.min(cores, MAX_WORKERS));
  const count = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(count) || count < 1 || count > MAX_WORKERS) {
    return env.fail('WORKERS', `must be auto or a whole number from 1 to ${MAX_WORKERS}`, 1);
  }
  return count;
}

/**
 * Workers are instances on one host, and they share what instances share: one PostgreSQL server and one Redis.
 * The embedded database can be opened by one process only, and without Redis each worker would keep its own rate
 * limits and DPoP replay cache, N workers allowing N times every limit and a replayed proof.
 */
export function checkWorkersShareState(
  env: EnvReader,
  workers: number,
  databaseUrl: string | undefined,
  redisUrl: string | undefined,
): void {
  if (workers === 1) return;
  if (!databaseUrl) {
    env.fail(
      'WORKERS',
      `is ${workers}, which needs DATABASE_URL (a PostgreSQL server): the embedded database can be opened by one process only`,
      undefined,
    );
  }
  if (!redisUrl) {
    env.fail(
      'WORKERS',
      `is ${workers}, which needs REDIS_URL: rate limits and the DPoP replay cache must be shared by the workers`,
      undefined,
    );
  }
}
