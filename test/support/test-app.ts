import { loadConfig } from '@gatehouse/config';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { createApp } from '../../apps/api/src/app.factory';
import { DatabaseKind, serverUrl } from './databases';
import { copyPgliteTemplate } from './pglite-template';
import { TcpProxy } from './tcp-proxy';

export type Env = Record<string, string | undefined>;

export interface TestAppOptions {
  env?: Env;
  /** PostgreSQL only: reach the server through a TCP relay the test can cut. */
  throughProxy?: boolean;
  /** PostgreSQL only: another server than TEST_DATABASE_URL's (a suite that restarts its own). */
  serverUrl?: string;
}

/** Collects every log line the app writes, for tests that read the logs. */
class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

/** Runs one statement on the PostgreSQL server's maintenance database (creating and dropping suites' databases). */
export async function adminQuery(sql: string, server = serverUrl): Promise<void> {
  const client = new Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Drops a suite's database once the app's connections have gone; a leftover is reported, not fatal. */
export async function dropDatabase(name: string, server = serverUrl): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}"`, server);
      return;
    } catch (error) {
      // "being accessed by other users": closed connections can take a moment to leave the server.
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  process.stderr.write(`could not drop test database ${name}: ${String(lastError)}\n`);
}

/**
 * The real app, built by the same factory as `main.ts`, on a fresh database of the given kind: a temporary
 * DATA_DIR for PGlite, a new database on the PostgreSQL server. Restartable on the same data.
 */
export class TestApp {
  app!: NestFastifyApplication;
  readonly logs = new LogCapture();
  proxy?: TcpProxy;
  private dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  private databaseName?: string;
  /** A peer shares another instance's database and keys, and leaves them to that instance to clean up. */
  private peerOf?: TestApp;
  private closing?: Promise<void>;

  private constructor(
    readonly kind: DatabaseKind,
    private options: TestAppOptions,
  ) {}

  private get server(): string | undefined {
    return this.options.serverUrl ?? serverUrl;
  }

  /** A second instance of the app on the same PostgreSQL database, with the same keys: as behind a load balancer. */
  static async startPeer(of: TestApp, options: TestAppOptions = {}): Promise<TestApp> {
    if (of.kind !== 'postgres')
      throw new Error('peers share a PostgreSQL server; the embedded database is one process');
    const peer = new TestApp(of.kind, {
      ...options,
      serverUrl: of.options.serverUrl,
      env: { ...of.options.env, ...options.env },
    });
    rmSync(peer.dataDir, { recursive: true, force: true });
    peer.dataDir = of.dataDir;
    peer.databaseName = of.databaseName;
    peer.peerOf = of;
    await peer.boot();
    return peer;
  }

  static async start(kind: DatabaseKind, options: TestAppOptions = {}): Promise<TestApp> {
    const testApp = new TestApp(kind, options);
    if (kind === 'postgres') {
      testApp.databaseName = `gatehouse_test_${randomUUID().replace(/-/g, '')}`;
      await adminQuery(`CREATE DATABASE "${testApp.databaseName}"`, testApp.server);
      if (options.throughProxy) {
        const target = new URL(testApp.server!);
        testApp.proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
        await testApp.proxy.start();
      }
    } else {
      await copyPgliteTemplate(join(testApp.dataDir, 'pgdata'));
    }
    await testApp.boot();
    return testApp;
  }

  get env(): Env {
    const env: Env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'debug',
      // The suites read log lines as JSON, whether or not jest runs in a terminal.
      LOG_FORMAT: 'json',
      DATA_DIR: this.dataDir,
      PASSWORD_MIN_LENGTH: '15',
      // Suites make many accounts and logins from one address; the throttling suite sets its own limits.
      THROTTLE_LOGIN_LIMIT: '100000',
      THROTTLE_REGISTER_LIMIT: '100000',
      THROTTLE_REFRESH_LIMIT: '100000',
      THROTTLE_PUBLIC_LIMIT: '100000',
      ...this.options.env,
    };
    if (this.kind === 'postgres') {
      const url = new URL(this.server!);
      url.pathname = `/${this.databaseName}`;
      if (this.proxy) {
        url.hostname = '127.0.0.1';
        url.port = String(this.proxy.port);
      }
      env.DATABASE_URL = url.toString();
    }
    return env;
  }

  private async boot(): Promise<void> {
    this.app = await createApp(loadConfig(this.env), { logDestination: this.logs });
  }

  /** Where the app writes each message as an `.eml` file when it has no SMTP_URL. */
  get outboxDir(): string {
    return join(this.dataDir, 'outbox');
  }

  http(): TestAgent {
    return request(this.app.getHttpServer());
  }

  /** Reads the database directly, to check what the API cannot show. */
  query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.app.get(DataSource).query(sql, params);
  }

  /** Stops the app as SIGTERM would, then starts it again on the same data, with `changes` to its settings. */
  async restart(changes: Env = {}): Promise<void> {
    await this.close();
    this.closing = undefined;
    this.options = { ...this.options, env: { ...this.options.env, ...changes } };
    await this.boot();
  }

  /**
   * As `restart`, but with `env` in place of every setting the app was started or restarted with: another
   * configuration of the same app and data, for a suite whose parts need no database of their own.
   */
  async restartWith(env: Env = {}): Promise<void> {
    this.options = { ...this.options, env: {} };
    await this.restart(env);
  }

  /** Closes the app as SIGTERM would, once however often it is called; `stop()` then only cleans up. */
  close(): Promise<void> {
    this.closing ??= this.app.close();
    return this.closing;
  }

  async stop(): Promise<void> {
    if (this.app) await this.close();
    if (this.peerOf) return;
    await this.proxy?.cut();
    if (this.databaseName) await dropDatabase(this.databaseName, this.server);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
