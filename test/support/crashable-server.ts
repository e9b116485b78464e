import { PGlite } from '@electric-sql/pglite';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DatabaseKind, serverUrl } from './databases';
import { copyPgliteTemplate } from './pglite-template';
import { ServerProcess, freePort } from './server-process';
import { adminQuery, dropDatabase } from './test-app';

/** Kill-and-restart rounds per crash test; CRASH_ROUNDS=10 runs a longer variant. */
export const CRASH_ROUNDS = Math.max(1, Number(process.env.CRASH_ROUNDS ?? 1));
/** Two server starts a round, each slow on a busy machine. */
export const CRASH_TEST_TIMEOUT = 120_000 + CRASH_ROUNDS * 120_000;

/** Settings every crash test runs with: quiet logs, and limits that many writes from one address never reach. */
export const CRASH_SETTINGS: Readonly<Record<string, string>> = {
  LOG_LEVEL: 'warn',
  PASSWORD_MIN_LENGTH: '15',
  THROTTLE_LOGIN_LIMIT: '100000',
  THROTTLE_REGISTER_LIMIT: '100000',
  THROTTLE_REFRESH_LIMIT: '100000',
  THROTTLE_PUBLIC_LIMIT: '100000',
};

/** A query on a database opened by the test itself. */
export type Query = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

/**
 * The real server process on data of its own (a temporary DATA_DIR, and on PostgreSQL a new database), which a
 * test can SIGKILL and start again on the same data, and whose database it can read once no server is running.
 */
export class CrashableServer {
  readonly baseUrl: string;
  private running?: ServerProcess;

  private constructor(
    readonly kind: DatabaseKind,
    private readonly port: number,
    private readonly dataDir: string,
    private readonly databaseName: string | undefined,
    private readonly settings: Record<string, string>,
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`;
  }

  static async create(kind: DatabaseKind, settings: Record<string, string>): Promise<CrashableServer> {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-crash-'));
    let databaseName: string | undefined;
    if (kind === 'postgres') {
      databaseName = `gatehouse_test_${randomUUID().replace(/-/g, '')}`;
      await adminQuery(`CREATE DATABASE "${databaseName}"`);
    } else {
      await copyPgliteTemplate(join(dataDir, 'pgdata'));
    }
    return new CrashableServer(kind, await freePort(), dataDir, databaseName, settings);
  }

  private get databaseUrl(): string | undefined {
    if (!this.databaseName) return undefined;
    const url = new URL(serverUrl!);
    url.pathname = `/${this.databaseName}`;
    return url.toString();
  }

  /** Starts a server process on the data and waits until it answers its health route. */
  async start(): Promise<ServerProcess> {
    if (this.running) throw new Error('a server is already running on this data');
    this.running = await ServerProcess.start({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(this.port),
      DATA_DIR: this.dataDir,
      DATABASE_URL: this.databaseUrl,
      ...this.settings,
    });
    await this.running.waitUntilHealthy(this.baseUrl);
    return this.running;
  }

  /** SIGKILL, with whatever requests are in flight. */
  async kill(): Promise<void> {
    await this.running?.kill();
    this.running = undefined;
  }

  /** SIGTERM, and waits for the process to exit. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running.signal('SIGTERM');
    await this.running.exited;
    this.running = undefined;
  }

  /**
   * Opens the database directly for `read`, with no server running: the embedded data directory must never be
   * open in two processes at once, so it is opened here only between servers.
   */
  async readDatabase<T>(read: (query: Query) => Promise<T>): Promise<T> {
    if (this.running) throw new Error('stop the server before reading its database');
    if (this.kind === 'pglite') {
      const db = new PGlite(join(this.dataDir, 'pgdata'));
      try {
        return await read(async (sql, params = []) => (await db.query(sql, params)).rows as never);
      } finally {
        await db.close();
      }
    }
    const client = new Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      return await read(async (sql, params = []) => (await client.query(sql, params)).rows as never);
    } finally {
      await client.end();
    }
  }

  /** Kills any server left (a failed assertion must not leave one behind) and deletes the data. */
  async dispose(): Promise<void> {
    await this.kill();
    if (this.databaseName) await dropDatabase(this.databaseName);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
