import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './server-process';

const run = promisify(execFile);

/** A Debian PostgreSQL cluster (`pg_lsclusters`), which `pg_ctlcluster` can stop, start and restart. */
export interface Cluster {
  readonly version: string;
  readonly name: string;
  readonly port: number;
}

/** A cluster made for one suite, which it may stop and restart while other suites use their own server. */
export interface ThrowawayCluster extends Cluster {
  /** A superuser's URL to its maintenance database. */
  readonly url: string;
  /** Stops and deletes it. */
  drop(): Promise<void>;
}

/**
 * A new cluster of the newest installed PostgreSQL (`pg_createcluster`, as root or the postgres user), listening on
 * 127.0.0.1 at a free port, with a superuser of its own. Throws, saying why, where the Debian tools cannot make one.
 */
export async function createThrowawayCluster(): Promise<ThrowawayCluster> {
  let versions: string[];
  try {
    versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
  } catch {
    versions = [];
  }
  const version = versions.at(-1);
  if (!version)
    throw new Error('no PostgreSQL under /usr/lib/postgresql: Debian’s postgresql package makes one');
  const name = `gatehouse-restart-${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const asOwner = (command: string, args: string[]) =>
    process.getuid?.() === 0
      ? run('runuser', ['-u', 'postgres', '--', command, ...args])
      : run(command, args);
  try {
    await run('pg_createcluster', [version, name, '-p', String(port), '--start'], { timeout: 60_000 });
    await asOwner('psql', [
      '-q',
      '-p',
      String(port),
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `CREATE ROLE gatehouse_restart LOGIN SUPERUSER PASSWORD '${password}'`,
    ]);
  } catch (error) {
    await run('pg_dropcluster', [version, name, '--stop']).catch(() => undefined);
    throw new Error(
      `could not make a PostgreSQL cluster to restart (pg_createcluster, as root): ${String(error)}`,
    );
  }
  return {
    version,
    name,
    port,
    url: `postgres://gatehouse_restart:${password}@127.0.0.1:${port}/postgres`,
    drop: async () => {
      await run('pg_dropcluster', [version, name, '--stop'], { timeout: 60_000 });
    },
  };
}

/** `pg_ctlcluster <version> <name> <action>`, without blocking the event loop the apps under test run on. */
export async function controlCluster(cluster: Cluster, action: 'restart' | 'stop' | 'start'): Promise<void> {
  const args = [cluster.version, cluster.name, action];
  // Fast: open transactions are rolled back and clients cut off at once, as an operator's restart does.
  if (action !== 'start') args.push('-m', 'fast');
  await run('pg_ctlcluster', args, { timeout: 60_000 });
}

/** Whether the server takes a connection and a query right now. */
export async function acceptsConnections(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  // A refused or cut connection is an answer here, not a crash of the test process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Polls until the server accepts connections; throws after the deadline. */
export async function waitUntilAccepting(url: string, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await acceptsConnections(url))) {
    if (Date.now() > until) throw new Error(`PostgreSQL does not accept connections ${deadlineMs} ms on`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Leaves the server running for whatever runs next, whatever a test did to it: waits for it, and starts the
 * cluster if it is still down after a while (a restart that failed half-way).
 */
export async function ensureRunning(url: string, cluster: Cluster): Promise<void> {
  try {
    await waitUntilAccepting(url, 10_000);
  } catch {
    await controlCluster(cluster, 'start').catch(() => undefined);
    await waitUntilAccepting(url, 30_000);
  }
}
