/**
 * The PostgreSQL ceiling for refresh-token rotation: `clients` workers, each rotating its own chain with `pg` and
 * nothing else (no HTTP, no Nest, no TypeORM, no JWT), send either the legacy six-statement transaction (the
 * fixed baseline) or the one named statement TokenService sent during the refresh warm-up. A child process of
 * the driver; reports rotations per second.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Pool, PoolClient } from 'pg';
import { CpuSplit, machineBusyTicks, processTicks } from './cpu';
import { reportToParent } from './ipc';
import { percentile } from './stats';
import { LEGACY_ROTATION } from './rotation-sql';

/** `legacy`: the six round trips; `statement`: the server's one statement, named as the server names it. */
export type CeilingSql = { kind: 'legacy' } | { kind: 'statement'; text: string };

export interface CeilingInput {
  url: string;
  userId: string;
  clients: number;
  sql: CeilingSql;
  warmupSeconds: number;
  seconds: number;
}

export interface CeilingResult {
  kind: CeilingSql['kind'];
  tps: number;
  clients: number;
  transactions: number;
  p50Ms: number;
  p99Ms: number;
  /** Over the measured window: this script under loadGenerator, its backends under postgres. */
  cpu?: CpuSplit;
}

/** CPU ticks of this script, of the backends serving it, and of the machine. */
function cpuTicks(backends: Set<number>): {
  at: number;
  script: number;
  postgres: Map<number, number>;
  machine: number;
} {
  return {
    at: Date.now(),
    script: processTicks(process.pid),
    postgres: new Map([...backends].map((pid) => [pid, processTicks(pid)])),
    machine: machineBusyTicks(),
  };
}

const WEEK_MS = 7 * 86400_000;

interface Chain {
  sessionId: string;
  tokenId: string;
  /** Stands for the presented token: the one statement checks its hash. */
  token: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The six round trips, as TokenService sent them for every refresh before the one statement. */
async function rotateLegacy(client: PoolClient, chain: Chain): Promise<void> {
  const sql = LEGACY_ROTATION;
  const now = new Date();
  await client.query(sql.begin);
  try {
    const { rows } = await client.query<{ token_id: string | null; token_rotated_at: Date | null }>(
      sql.lock,
      [chain.sessionId, chain.tokenId],
    );
    if (!rows[0]?.token_id || rows[0].token_rotated_at) throw new Error('chain broken');
    const { rowCount } = await client.query(sql.mark, [chain.tokenId, now]);
    if (rowCount !== 1) throw new Error('token rotated concurrently');
    const tokenId = randomUUID();
    const issuedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const expiresAt = new Date(issuedAt.getTime() + WEEK_MS);
    await client.query(sql.insert, [
      tokenId,
      chain.sessionId,
      chain.tokenId,
      sha256(tokenId),
      issuedAt,
      expiresAt,
    ]);
    await client.query(sql.touch, [chain.sessionId, now, expiresAt, null, '127.0.0.1']);
    await client.query(sql.commit);
    chain.tokenId = tokenId;
    chain.token = tokenId;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** One round trip, bound as TokenService binds it; named, so each connection plans it once. */
async function rotateInOneStatement(
  client: PoolClient,
  chain: Chain,
  text: string,
  userId: string,
): Promise<void> {
  const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const expiresAt = new Date(issuedAt.getTime() + WEEK_MS);
  const tokenId = randomUUID();
  const { rowCount } = await client.query({
    name: 'bench_rotate_refresh_token',
    text,
    values: [
      chain.sessionId,
      chain.tokenId,
      userId,
      sha256(chain.token),
      false,
      null,
      tokenId,
      sha256(tokenId),
      expiresAt,
      issuedAt,
      null,
      '127.0.0.1',
      // A bearer session refreshed with its cookie: no DPoP key, not from a native client's body.
      null,
      false,
      // No organization asked for: the session keeps its own (none).
      null,
      false,
    ],
  });
  if (rowCount !== 1) throw new Error('chain broken');
  chain.tokenId = tokenId;
  chain.token = tokenId;
}

async function measure(input: CeilingInput): Promise<CeilingResult> {
  const pool = new Pool({ connectionString: input.url, max: input.clients });
  try {
    // One session with one live token per worker, like a fresh login (the token's text is its id here).
    const { rows: chains } = await pool.query<{ session_id: string; token_id: string }>(
      `WITH s AS (
         INSERT INTO sessions (user_id, credentials_version, expires_at)
         SELECT u.id, u.credentials_version, now() + interval '7 days' FROM users u, generate_series(1, $2)
          WHERE u.id = $1
         RETURNING id),
       ids AS (SELECT s.id AS session_id, gen_random_uuid() AS token_id FROM s)
       INSERT INTO refresh_tokens (id, session_id, hash, issued_at, expires_at)
       SELECT token_id, session_id, encode(sha256(token_id::text::bytea), 'hex'), now(), now() + interval '7 days'
         FROM ids
       RETURNING session_id, id AS token_id`,
      [input.userId, input.clients],
    );
    const sql = input.sql;

    const measuring = { from: 0, until: 0 };
    const backends = new Set<number>();
    let cpuFrom: ReturnType<typeof cpuTicks> | undefined;
    let cpuTo: ReturnType<typeof cpuTicks> | undefined;
    const latencies: number[] = [];
    let transactions = 0;

    const rotate = async (chain: Chain): Promise<void> => {
      const client = await pool.connect();
      backends.add((client as unknown as { processID: number }).processID);
      try {
        if (sql.kind === 'legacy') await rotateLegacy(client, chain);
        else await rotateInOneStatement(client, chain, sql.text, input.userId);
      } finally {
        client.release();
      }
    };

    const start = Date.now();
    measuring.from = start + input.warmupSeconds * 1000;
    measuring.until = measuring.from + input.seconds * 1000;
    const marks = [
      setTimeout(() => (cpuFrom = cpuTicks(backends)), measuring.from - start),
      setTimeout(() => (cpuTo = cpuTicks(backends)), measuring.until - start),
    ];
    await Promise.all(
      chains.map(async (row) => {
        const chain = { sessionId: row.session_id, tokenId: row.token_id, token: row.token_id };
        for (;;) {
          const began = process.hrtime.bigint();
          await rotate(chain);
          const ended = Date.now();
          if (ended > measuring.until) return;
          if (ended >= measuring.from) {
            transactions++;
            latencies.push(Number(process.hrtime.bigint() - began) / 1e6);
          }
        }
      }),
    );
    marks.forEach(clearTimeout);
    latencies.sort((a, b) => a - b);
    let cpu: CpuSplit | undefined;
    if (cpuFrom && cpuTo) {
      const seconds = (cpuTo.at - cpuFrom.at) / 1000;
      const cores = (ticks: number) => Math.round((ticks / 100 / seconds) * 100) / 100;
      let postgresTicks = 0;
      for (const [pid, ticks] of cpuTo.postgres)
        postgresTicks += Math.max(0, ticks - (cpuFrom.postgres.get(pid) ?? 0));
      const script = cores(cpuTo.script - cpuFrom.script);
      const postgres = cores(postgresTicks);
      const machine = cores(cpuTo.machine - cpuFrom.machine);
      cpu = {
        server: 0,
        loadGenerator: script,
        postgres,
        machine,
        other: Math.max(0, Math.round((machine - script - postgres) * 100) / 100),
      };
    }
    return {
      kind: sql.kind,
      tps: transactions / input.seconds,
      clients: input.clients,
      transactions,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      cpu,
    };
  } finally {
    await pool.end();
  }
}

reportToParent(() => measure(JSON.parse(process.argv[2]) as CeilingInput));
