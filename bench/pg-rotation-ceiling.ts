/**
 * The PostgreSQL ceiling for refresh-token rotation: `clients` workers, each rotating its own chain, send the
 * very statements TokenService sent for a rotation during the refresh warm-up (one transaction: SELECT ... FOR
 * UPDATE, UPDATE refresh_tokens, INSERT refresh_tokens, UPDATE sessions), with `pg` and nothing else: no HTTP,
 * no Nest, no TypeORM, no JWT. A child process of the driver; reports transactions per second.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { CpuSplit, machineBusyTicks, processTicks } from './cpu';
import { reportToParent } from './ipc';
import { percentile } from './stats';
import type { RotationStatements } from './rotation-sql';

export interface CeilingInput {
  url: string;
  userId: string;
  clients: number;
  statements: RotationStatements;
  warmupSeconds: number;
  seconds: number;
}

export interface CeilingResult {
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

async function measure(input: CeilingInput): Promise<CeilingResult> {
  const sql = input.statements;
  const pool = new Pool({ connectionString: input.url, max: input.clients });
  try {
    // One session with one live token per worker, like a fresh login.
    const { rows: chains } = await pool.query<{ session_id: string; token_id: string }>(
      `WITH s AS (
         INSERT INTO sessions (user_id, expires_at) SELECT $1, now() + interval '7 days' FROM generate_series(1, $2)
         RETURNING id)
       INSERT INTO refresh_tokens (id, session_id, hash, issued_at, expires_at)
       SELECT gen_random_uuid(), s.id, md5(random()::text) || md5(random()::text), now(), now() + interval '7 days'
         FROM s
       RETURNING session_id, id AS token_id`,
      [input.userId, input.clients],
    );

    const measuring = { from: 0, until: 0 };
    const backends = new Set<number>();
    let cpuFrom: ReturnType<typeof cpuTicks> | undefined;
    let cpuTo: ReturnType<typeof cpuTicks> | undefined;
    const latencies: number[] = [];
    let transactions = 0;

    const rotate = async (chain: { sessionId: string; tokenId: string }): Promise<void> => {
      const client = await pool.connect();
      backends.add((client as unknown as { processID: number }).processID);
      try {
        const now = new Date();
        await client.query(sql.begin);
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
        const hash = createHash('sha256').update(tokenId).digest('hex');
        await client.query(sql.insert, [tokenId, chain.sessionId, chain.tokenId, hash, issuedAt, expiresAt]);
        await client.query(sql.touch, [chain.sessionId, now, expiresAt, null, '127.0.0.1']);
        await client.query(sql.commit);
        chain.tokenId = tokenId;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
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
        const chain = { sessionId: row.session_id, tokenId: row.token_id };
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
