import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { redisUrl, serverUrl } from './support/databases';
import { freePort, ServerProcess } from './support/server-process';
import { TestApp } from './support/test-app';

const ROOT = join(__dirname, '..');
const run = promisify(execFile);

/**
 * What `npm start` runs: `nest build`'s output started with plain `node`, no loader mapping the @gatehouse/*
 * aliases. The other suites start a build whose aliases a loader maps, so only this one catches an import that
 * the Nest build leaves unmapped (an `import()` of an alias, say). Built into a folder of its own, so the `dist/`
 * other suites serve the demo page from is never deleted under them.
 */
describe('npm start: the Nest build, started with plain node', () => {
  const work = join(ROOT, 'node_modules', '.cache', 'gatehouse-start', String(process.pid));
  // Apart from the tsconfig: the build empties its output folder first.
  const out = join(work, 'build');
  let main: string;

  beforeAll(async () => {
    mkdirSync(work, { recursive: true });
    const tsconfig = join(work, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({ extends: join(ROOT, 'tsconfig.build.json'), compilerOptions: { outDir: out } }),
    );
    await run(
      process.execPath,
      [
        join(ROOT, 'node_modules/@nestjs/cli/bin/nest.js'),
        'build',
        'api',
        '--path',
        relative(ROOT, tsconfig),
      ],
      {
        cwd: ROOT,
      },
    );
    main = join(out, 'apps/api/src/main.js');
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** Starts it, waits for `ready` in its output (every worker listening), checks it answers, then stops it. */
  async function serves(env: Record<string, string>, ready: RegExp): Promise<ServerProcess> {
    const port = await freePort();
    const server = ServerProcess.startEntry(main, { HOST: '127.0.0.1', PORT: String(port), ...env });
    try {
      await server.waitUntilHealthy(`http://127.0.0.1:${port}`);
      // A worker still starting when SIGTERM comes would end unclean, and the primary with it.
      while (!ready.test(server.text)) await new Promise((resolve) => setTimeout(resolve, 100));
      const live = await fetch(`http://127.0.0.1:${port}/api/health/live`);
      expect(live.status).toBe(200);
    } catch (error) {
      await server.kill();
      throw error;
    }
    server.signal('SIGTERM');
    // Drained and closed: a single process ends by the signal it was sent (Nest raises it again once closed), a
    // cluster's primary with 0 once every worker has; a crash or a stuck close would be code 1.
    expect([
      { code: 0, signal: null },
      { code: null, signal: 'SIGTERM' },
    ]).toContainEqual(await server.exited);
    return server;
  }

  it('serves on the embedded database, then closes cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-start-'));
    try {
      await serves({ DATA_DIR: dataDir }, /Gatehouse listening on http:\/\/127\.0\.0\.1:/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  if (serverUrl && redisUrl) {
    it('serves as a cluster of two workers on PostgreSQL and Redis, then closes cleanly on SIGTERM', async () => {
      // A database of the test's own, made (and dropped) by a test app.
      const db = await TestApp.start('postgres');
      const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-start-'));
      try {
        await db.close();
        await serves(
          {
            DATA_DIR: dataDir,
            DATABASE_URL: db.env.DATABASE_URL!,
            REDIS_URL: redisUrl!,
            WORKERS: '2',
          },
          // The primary's line, once both workers listen.
          /Gatehouse listening on .* with 2 workers/,
        );
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
        await db.stop();
      }
    }, 60_000);
  } else {
    it('refuses a cluster on the embedded database, in one line naming WORKERS', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-start-'));
      try {
        const server = ServerProcess.startEntry(main, { DATA_DIR: dataDir, WORKERS: '2' });
        expect(await server.exited).toEqual({ code: 1, signal: null });
        expect(server.text).toMatch(/^Gatehouse failed to start: .*WORKERS/m);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }, 60_000);
  }
});
