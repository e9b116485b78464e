/**
 * `workers_refresh_scale`: `POST /api/auth/refresh` req/s with WORKERS=2 ÷ with WORKERS=1, 32 chains as in the
 * refresh scenario of `run.ts`, each against the real server process (`apps/api/src/main.ts`, as `npm start` runs
 * it: with WORKERS=2 a cluster primary and two workers) on a fresh PostgreSQL database and a shared Redis (WORKERS=2
 * requires it, so the WORKERS=1 run has it too: each refresh then also counts its rate limit in Redis).
 *
 * Alone: `ts-node -r tsconfig-paths/register --transpile-only bench/workers.ts` with BENCH_DATABASE_URL (or
 * TEST_DATABASE_URL) and BENCH_REDIS_URL (or TEST_REDIS_URL); prints the result as JSON.
 */
import { loadConfig } from '@gatehouse/config';
import { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Client } from 'pg';
import { KeyService } from '../libs/auth/src/keys/key.service';
import { TokenSigner } from '../libs/auth/src/tokens/token-signer';
import { refreshLoad, RefreshRun, seedChains, seedUser } from './chains';
import { CpuMeter, CpuSplit, processTicks } from './cpu';
import { BenchDatabase } from './database';
import { collectOutput, forkBench } from './ipc';

const CONNECTIONS = 32;
/** A worker still starting burns CPU; one that listens and has nothing to do uses less than this share of a core. */
const IDLE_SHARE = 0.1;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface WorkersBench {
  /** A maintenance URL of a role that may CREATE DATABASE. */
  adminUrl: string;
  redisUrl: string;
  /** The server's settings (keys included), as the other scenarios use them. */
  env: Record<string, string>;
  /** Signs refresh tokens with the keys in `env`, for the seeded chains. */
  signer: TokenSigner;
  /** The measured run's length, per worker count (10 s, as the refresh scenario's). */
  seconds?: number;
  warmSeconds?: number;
}

export interface WorkersRun extends RefreshRun {
  workers: number;
  /** Where the machine's CPU went during the measured run; `server` is the primary and its workers together. */
  cpu?: CpuSplit;
}

export interface WorkersScale {
  one: WorkersRun;
  two: WorkersRun;
  /** two.rps ÷ one.rps. */
  workers_refresh_scale: number;
}

/** Refresh req/s against the server with WORKERS=1, then WORKERS=2, each on a database of its own. */
export async function measureWorkersScale(bench: WorkersBench): Promise<WorkersScale> {
  const one = await measureRefresh(bench, 1);
  const two = await measureRefresh(bench, 2);
  return { one, two, workers_refresh_scale: two.rps / one.rps };
}

async function measureRefresh(bench: WorkersBench, workers: number): Promise<WorkersRun> {
  const db = await BenchDatabase.create(bench.adminUrl, `workers${workers}`);
  let server: MainProcess | undefined;
  const client = new Client({ connectionString: db.url });
  try {
    server = await MainProcess.start(
      { ...bench.env, DATABASE_URL: db.url, REDIS_URL: bench.redisUrl, WORKERS: String(workers) },
      workers,
    );
    await client.connect();
    const sql = {
      sql: async <T>(text: string, params: unknown[] = []) => (await client.query(text, params)).rows as T[],
    };
    const userId = await seedUser(sql, `bench-workers-${workers}@example.com`);
    const chains = await seedChains(sql, bench.signer, userId, CONNECTIONS * 2 + 8);
    await refreshLoad(server, chains.slice(0, CONNECTIONS), CONNECTIONS, bench.warmSeconds ?? 2);
    const running = server;
    const meter = new CpuMeter(() => running.pids(), db.name);
    meter.start();
    const result = await refreshLoad(running, chains.slice(CONNECTIONS), CONNECTIONS, bench.seconds ?? 10);
    return { workers, ...result, cpu: meter.stop() };
  } finally {
    await client.end().catch(() => undefined);
    await server?.stop();
    await db.drop();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text ? text.split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

/** `main.ts` in a process of its own, started as the bench starts its other children. */
class MainProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly output: () => string,
  ) {}

  static async start(env: Record<string, string>, workers: number): Promise<MainProcess> {
    const port = await freePort();
    const child = forkBench('../apps/api/src/main.ts', {
      env: { ...env, HOST: '127.0.0.1', PORT: String(port) },
    });
    const server = new MainProcess(child, `http://127.0.0.1:${port}`, collectOutput(child));
    await server.waitUntilServing(workers);
    return server;
  }

  /** The primary (or the one process) and its workers. */
  pids(): number[] {
    return [this.child.pid!, ...childrenOf(this.child.pid!)];
  }

  /**
   * Until the port answers and every worker has started: with fewer listening, the run's keep-alive connections
   * would all be handed to the workers that were, for the whole run.
   */
  private async waitUntilServing(workers: number): Promise<void> {
    const until = Date.now() + 120_000;
    let before = new Map<number, number>();
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`the server exited:\n${this.output()}`);
      if (Date.now() > until) throw new Error(`the server did not settle in time:\n${this.output()}`);
      const answering = await fetch(`${this.url}/api/health`).then(
        (response) => response.ok,
        () => false,
      );
      const pids = workers > 1 ? childrenOf(this.child.pid!) : [this.child.pid!];
      const now = new Map(pids.map((pid) => [pid, processTicks(pid)]));
      const idle =
        pids.length === workers &&
        pids.every((pid) => before.has(pid) && (now.get(pid)! - before.get(pid)!) / 100 < IDLE_SHARE / 2);
      if (answering && idle) return;
      before = now;
      await sleep(500);
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The settings `run.ts` gives its server, for a run of this file alone. */
function standaloneBench(): WorkersBench {
  const adminUrl = process.env.BENCH_DATABASE_URL?.trim() || process.env.TEST_DATABASE_URL?.trim();
  const redisUrl = process.env.BENCH_REDIS_URL?.trim() || process.env.TEST_REDIS_URL?.trim();
  if (!adminUrl || !redisUrl)
    throw new Error('set BENCH_DATABASE_URL and BENCH_REDIS_URL (or the TEST_ ones)');
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    SMTP_URL: 'smtp://127.0.0.1:9',
    THROTTLE_LOGIN_LIMIT: '1000000',
    THROTTLE_REGISTER_LIMIT: '1000000',
    THROTTLE_REFRESH_LIMIT: '1000000',
    ACCESS_TOKEN_PRIVATE_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString(),
    REFRESH_TOKEN_SECRET: randomBytes(48).toString('base64url'),
    MFA_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
  };
  const config = loadConfig(env);
  const signer = new TokenSigner(config, new KeyService(config));
  return { adminUrl, redisUrl, env, signer };
}

if (require.main === module) {
  measureWorkersScale(standaloneBench()).then(
    (result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
