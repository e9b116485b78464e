import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** A Debian PostgreSQL cluster (`pg_lsclusters`), which `pg_ctlcluster` can stop, start and restart. */
export interface Cluster {
  readonly version: string;
  readonly name: string;
  readonly port: number;
}

/**
 * The cluster on this machine that serves `url`, found by its port in `pg_lsclusters -h`. Throws, saying why, when
 * the URL points at another machine or no cluster listens on that port: a restart must hit the server the app uses.
 */
export async function clusterServing(url: string): Promise<Cluster> {
  const { hostname, port: portText } = new URL(url);
  if (!LOCAL_HOSTS.has(hostname)) {
    throw new Error(
      `TEST_DATABASE_URL points at ${hostname}; only a cluster on this machine can be restarted`,
    );
  }
  const port = Number(portText || 5432);
  let listing: string;
  try {
    listing = (await run('pg_lsclusters', ['-h'])).stdout;
  } catch (error) {
    throw new Error(
      `pg_lsclusters failed (${String(error)}); it lists the clusters that pg_ctlcluster restarts`,
    );
  }
  // Columns: version, cluster, port, status, owner, data directory, log file.
  const clusters = listing
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((columns) => columns.length >= 3)
    .map(([version, name, listed]) => ({ version, name, port: Number(listed) }));
  const serving = clusters.find((cluster) => cluster.port === port);
  if (!serving) {
    const known = clusters.map((c) => `${c.version}/${c.name} on ${c.port}`).join(', ') || 'none';
    throw new Error(
      `no PostgreSQL cluster listens on port ${port} of TEST_DATABASE_URL (pg_lsclusters: ${known})`,
    );
  }
  return serving;
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
