/**
 * `npm run bench`: Gatehouse's benchmark suite. Starts the real app (`createApp`, as `main.ts` does) in a child
 * process on a fresh PostgreSQL database, and on PGlite where noted, drives it from this process with
 * autocannon on 127.0.0.1 only, prints a markdown table with every figure beside the baseline measured in the
 * same run, and writes bench/results.json. See BENCHMARKS.md.
 *
 * PostgreSQL: BENCH_DATABASE_URL (a maintenance URL of a role that may CREATE DATABASE), else TEST_DATABASE_URL.
 * BENCH_TIME_FACTOR scales every duration (0.5 for a quick look; figures get noisier).
 * BENCH_ONLY=guard,metrics,me,refresh,org,storm,scale,activity,pglite,memory,workers runs only those parts (for investigating one figure).
 * BENCH_PROFILE=<scenario>[,...] writes a CPU profile of the server during that measured run (public, guarded, cold,
 * me, refresh, storm, scale-small, scale-large, activity-small, activity-large, refresh-pglite) to the system's
 * temporary directory.
 */
import { loadConfig } from '@gatehouse/config';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { KeyService } from '../libs/auth/src/keys/key.service';
import { newApiKey, shownPrefix } from '../libs/auth/src/machine/api-keys/api-key-text';
import { secretHash } from '../libs/auth/src/machine/secret-hash';
import { TokenSigner } from '../libs/auth/src/tokens/token-signer';
import type { Argon2CeilingResult } from './argon2-ceiling';
import type { Argon2Usage } from './argon2-meter';
import { BenchServer } from './bench-server';
import { Chain, RefreshRun, refreshLoad, seedChains, seedFiller, seedUser } from './chains';
import { FloorServer } from './floor';
import { BENCH_PUBLIC_URL, BenchDpopKey } from './dpop-proofs';
import { CpuMeter, CpuSplit, machineBusyCores } from './cpu';
import { BenchDatabase, describeServer } from './database';
import { claimsOf, login, LoginResult, REFRESH_COOKIE, register } from './http';
import { ROOT, runBenchChild } from './ipc';
import { load, LoadResult } from './load';
import type { CeilingInput, CeilingResult, CeilingSql } from './pg-rotation-ceiling';
import { Report } from './report';
import type { RevocationMemoryResult } from './revocation-memory';
import type { StatementCount } from './query-counter';
import { DOUBLE_LIVE_TOKENS, pickRotationStatement } from './rotation-sql';
import { measureWorkersScale } from './workers';

const FACTOR = Number(process.env.BENCH_TIME_FACTOR ?? 1) || 1;
const secs = (seconds: number): number => Math.max(1, Math.round(seconds * FACTOR));
const PROFILE = process.env.BENCH_PROFILE?.split(',').map((part) => part.trim()) ?? [];
const ONLY = process.env.BENCH_ONLY?.split(',').map((part) => part.trim());
const enabled = (part: string): boolean => !ONLY || ONLY.includes(part);

const GUARD_CONNECTIONS = 10;
/** The guard runs alternate public, guarded and cold slices of this length, so drift lands on all alike. */
const GUARD_SLICE_SECONDS = 2;
const GUARD_ROUNDS = 4;
const ME_CONNECTIONS = 10;
const REFRESH_CONNECTIONS = 32;
const LOGIN_CONNECTIONS = 8;
const LOGIN_USERS = 8;
/** The guarded route's load during the login storm, and before it: steady traffic, far from saturation. */
const PROBE_RATE = 1000;
const PROBE_CONNECTIONS = 10;
const IDLE_P99_FLOOR_MS = 5;
/** More than the guard's verified-token cache holds (50,000): a token is never found there. */
const COLD_TOKENS = 60_000;
/** The ceiling is the best of these: the app's pool size (20), and fewer, which 2 cores often serve better. */
const CEILING_CLIENTS = [8, 20];
const SCALE_SMALL = 1_000;
const SCALE_LARGE = 1_000_000;
const REVOCATIONS = 100_000;
/** The reader's own history: a few pages of it. */
const ACTIVITY_OWN_EVENTS = 200;
const ACTIVITY_CONNECTIONS = 10;
/** The other accounts the stored history is spread over. */
const ACTIVITY_OTHER_USERS = 20_000;
const PASSWORD = 'bench-Password-4-gatehouse';

const started = Date.now();
const report = new Report();
/** The PostgreSQL database the current server uses, so its backends' CPU is told apart from others'. */
let currentDatabase: string | undefined;

function progress(message: string): void {
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${message}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (value: number): string => Math.round(value).toLocaleString('en-US');

function maintenanceUrl(): string {
  const url = process.env.BENCH_DATABASE_URL?.trim() || process.env.TEST_DATABASE_URL?.trim();
  if (!url) {
    process.stderr.write(
      'npm run bench needs a PostgreSQL server: set BENCH_DATABASE_URL to a maintenance URL of a role that may\n' +
        'CREATE DATABASE, e.g. postgres://gatehouse_dev:devpass@127.0.0.1:5432/postgres (.ci/run shows how to\n' +
        'start the server and make such a role).\n',
    );
    process.exit(2);
  }
  return url;
}

/** What every scenario shares: the server's settings and a signer holding the same keys. */
interface Bench {
  adminUrl: string;
  env: Record<string, string>;
  signer: TokenSigner;
}

function makeBench(adminUrl: string): Bench {
  // Keys given to the server as a production deployment would; the driver signs with the same ones.
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    // Production needs a mail server; the benchmarks send no mail worth delivering.
    SMTP_URL: 'smtp://127.0.0.1:9',
    HOST: '127.0.0.1',
    PORT: '0',
    THROTTLE_LOGIN_LIMIT: '1000000',
    THROTTLE_REGISTER_LIMIT: '1000000',
    THROTTLE_REFRESH_LIMIT: '1000000',
    // The in-memory counter keeps one entry per hit within its window: a one-second window holds about as many
    // as production's default (300 a minute) does, where a minute at these rates would hold tens of thousands.
    THROTTLE_REFRESH_TTL: '1',
    // One key carries the whole load: the per-key limit is the only thing the bench must not meet.
    THROTTLE_API_KEY_LIMIT: '1000000',
    ACCESS_TOKEN_PRIVATE_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString(),
    REFRESH_TOKEN_SECRET: randomBytes(48).toString('base64url'),
    MFA_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    // The origin DPoP proofs name in `htu` (the bench server listens on an ephemeral port).
    PUBLIC_URL: BENCH_PUBLIC_URL,
    // As in production: metrics on, so every figure includes their cost (the metrics scenario measures it).
    METRICS_TOKEN: randomBytes(32).toString('base64url'),
  };
  const config = loadConfig(env);
  return {
    adminUrl,
    env,
    signer: new TokenSigner(config, new KeyService(config)),
  };
}

/** A measured run with the server's event-loop and CPU figures, and where the machine's CPU went. */
interface Measured<T> {
  result: T;
  server: { eventLoopUtilization: number; cpuCores: number };
  cpu?: CpuSplit;
}

async function measured<T>(server: BenchServer, name: string, run: () => Promise<T>): Promise<Measured<T>> {
  const meter = new CpuMeter(() => server.pid, currentDatabase);
  const profiling = PROFILE.includes(name);
  if (profiling) await server.request('profile.start');
  await server.startStats();
  meter.start();
  const result = await run();
  const cpu = meter.stop();
  const stats = await server.readStats();
  if (profiling) {
    const path = join(tmpdir(), `gatehouse-bench-${name}-${Date.now()}.cpuprofile`);
    await server.request('profile.stop', { path });
    progress(`CPU profile of the server during ${name}: ${path}`);
  }
  const server_ = { eventLoopUtilization: stats.eventLoopUtilization, cpuCores: stats.cpuCores };
  report.cpuRows.push({
    scenario: name,
    eventLoopUtilization: stats.eventLoopUtilization,
    serverCores: stats.cpuCores,
    cpu,
  });
  return { result, server: server_, cpu };
}

function bearer(url: string, token: string, seconds: number, connections: number) {
  return load({ url, connections, duration: seconds, headers: { authorization: `Bearer ${token}` } });
}

async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size) {
    const batch = Array.from({ length: Math.min(size, count - i) }, (_, j) => make(i + j));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

function total(runs: Measured<LoadResult>[]): { ok: number; seconds: number; rps: number } {
  const ok = runs.reduce((sum, r) => sum + r.result.ok, 0);
  const seconds = runs.reduce((sum, r) => sum + r.result.seconds, 0);
  return { ok, seconds, rps: ok / seconds };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

interface QueryCount {
  total: number;
  statements: StatementCount[];
}

/** The main PostgreSQL server with its users and logins, shared by scenarios 1, 2, 3, 4 and 6. */
interface MainServer {
  server: BenchServer;
  db: BenchDatabase;
  emails: string[];
  logins: LoginResult[];
}

// ------------------------------------------------------------------------------------------ 1 + 2. guard
/**
 * An API key of `userId` for the guarded bench route, written as the app writes one (its hash, never the key): the
 * bench's users have no verified address, which making one through the API would need.
 */
async function seedApiKey(db: BenchDatabase, userId: string): Promise<string> {
  const key = newApiKey();
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO api_keys (user_id, name, prefix, key_hash, scopes) VALUES ($1, 'bench', $2, $3, $4)`,
      [userId, shownPrefix(key), secretHash(key), ['bench:read']],
    );
  } finally {
    await client.end();
  }
  return key;
}

async function guardScenario({ server, db, logins, emails }: MainServer, bench: Bench): Promise<number> {
  const [me] = logins;
  const publicUrl = `${server.url}/api/bench/public`;
  const guardedUrl = `${server.url}/api/bench/guarded`;
  /** The guarded route with headers made for each request as it is sent. */
  const guardedWith = (seconds: number, headers: () => Record<string, string>) =>
    load({
      url: guardedUrl,
      connections: GUARD_CONNECTIONS,
      duration: seconds,
      requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, headers: headers() }) }],
    });
  const coldTokens = Array.from({ length: COLD_TOKENS }, () =>
    bench.signer.signAccessToken({ id: me.userId, roles: ['user'] }, me.sessionId, {
      amr: ['pwd'],
      authTime: new Date(),
    }),
  );
  let nextCold = 0;
  const cold = (seconds: number) =>
    guardedWith(seconds, () => ({ authorization: `Bearer ${coldTokens[nextCold++ % coldTokens.length]}` }));
  // A session bound to a DPoP key: every request carries a fresh proof, made before the run and used once.
  const key = new BenchDpopKey();
  const bound = await login(server.url, emails[0], PASSWORD, key.proof('POST', '/api/auth/login'));
  let proofs: string[] = [];
  let nextProof = 0;
  const makeProofs = (count: number) => {
    proofs = Array.from({ length: count }, () => key.proof('GET', '/api/bench/guarded', bound.accessToken));
    nextProof = 0;
  };
  const dpopRun = (seconds: number) =>
    guardedWith(seconds, () => ({
      authorization: `DPoP ${bound.accessToken}`,
      dpop: proofs[nextProof++] ?? 'spent',
    }));
  const publicRun = (seconds: number) =>
    load({ url: publicUrl, connections: GUARD_CONNECTIONS, duration: seconds });
  const floor = await FloorServer.start();
  const floorRun = (seconds: number) =>
    load({ url: `${floor.url}/floor`, connections: GUARD_CONNECTIONS, duration: seconds });
  const guardedRun = (seconds: number) => bearer(guardedUrl, me.accessToken, seconds, GUARD_CONNECTIONS);
  const apiKey = await seedApiKey(db, me.userId);
  const apiKeyRun = (seconds: number) => bearer(guardedUrl, apiKey, seconds, GUARD_CONNECTIONS);

  // Warm-up (JIT, connections); its cold tokens are spent, so the measured slices use new ones only.
  await publicRun(secs(2));
  await floorRun(secs(1));
  const warm = await guardedRun(secs(2));
  await cold(secs(1));
  // Enough proofs for a slice at twice the bearer rate: a proof is never used twice.
  const proofsPerSlice = Math.ceil(warm.rps * secs(GUARD_SLICE_SECONDS) * 2) + 1000;
  makeProofs(proofsPerSlice);
  await dpopRun(secs(1));
  await apiKeyRun(secs(1));

  const statements = new Map<string, StatementCount>();
  // Apart: an API key is read from the database once a minute, which the tokens' `= 0` must not hide.
  const apiKeyStatements = new Map<string, StatementCount>();
  const counted = async <T>(run: () => Promise<T>, into = statements): Promise<T> => {
    await server.request('queries.reset');
    const result = await run();
    for (const s of (await server.request<QueryCount>('queries.read')).statements) {
      const seen = into.get(s.text) ?? { text: s.text, count: 0, inRequests: 0 };
      seen.count += s.count;
      seen.inRequests += s.inRequests;
      into.set(s.text, seen);
    }
    return result;
  };
  const slice = secs(GUARD_SLICE_SECONDS);
  const publics: Measured<LoadResult>[] = [];
  const guardeds: Measured<LoadResult>[] = [];
  const colds: Measured<LoadResult>[] = [];
  const dpops: Measured<LoadResult>[] = [];
  const apiKeys: Measured<LoadResult>[] = [];
  const floors: LoadResult[] = [];
  for (let round = 0; round < GUARD_ROUNDS; round++) {
    floors.push(await floorRun(slice));
    publics.push(await measured(server, 'public', () => publicRun(slice)));
    guardeds.push(await counted(() => measured(server, 'guarded', () => guardedRun(slice))));
    colds.push(await counted(() => measured(server, 'cold', () => cold(slice))));
    makeProofs(proofsPerSlice);
    dpops.push(await counted(() => measured(server, 'dpop', () => dpopRun(slice))));
    apiKeys.push(await counted(() => measured(server, 'apiKey', () => apiKeyRun(slice)), apiKeyStatements));
  }
  const pub = total(publics);
  const guarded = total(guardeds);
  const coldTotal = total(colds);
  const dpop = total(dpops);
  const apiKeyTotal = total(apiKeys);
  const apiKeyRefused = apiKeys.reduce((sum, run) => sum + run.result.non2xx, 0);
  const apiKeyReads = [...apiKeyStatements.values()]
    .filter((s) => s.text.includes('FROM api_keys'))
    .reduce((sum, s) => sum + s.inRequests, 0);
  const dpopRefused = dpops.reduce((sum, run) => sum + run.result.non2xx, 0);
  floor.stop();
  const floorRps =
    floors.reduce((sum, run) => sum + run.ok, 0) / floors.reduce((sum, run) => sum + run.seconds, 0);
  const pairRatios = publics.map((p, i) => guardeds[i].result.rps / p.result.rps);
  progress(
    `guard: floor ${fmt(floorRps)} req/s, public ${fmt(pub.rps)} req/s, guarded ${fmt(guarded.rps)} req/s, cold ${fmt(coldTotal.rps)} req/s, ` +
      `DPoP ${fmt(dpop.rps)} req/s (${dpopRefused} refused), API key ${fmt(apiKeyTotal.rps)} req/s ` +
      `(${apiKeyRefused} refused, ${apiKeyReads} key reads) ` +
      `(${nextCold} cold tokens used of ${COLD_TOKENS})`,
  );

  const guardStatements = [...statements.values()];
  const guardedRequests = guarded.ok + coldTotal.ok + dpop.ok;
  const requestQueries = guardStatements.reduce((sum, s) => sum + s.inRequests, 0);
  const timerQueries = guardStatements.reduce((sum, s) => sum + s.count - s.inRequests, 0);

  report.values.public_rps = pub.rps;
  report.values.guarded_rps = guarded.rps;
  report.add('guard_ratio', guarded.rps / pub.rps, {
    label: 'guarded ÷ public req/s, same valid token',
    value: `${fmt(guarded.rps)} req/s guarded`,
    baseline: `${fmt(pub.rps)} req/s public (same route, \`@Public()\`)`,
    goal: '≥ 0.9',
    met: (v) => v >= 0.9,
  });
  report.add('guard_ratio_cold', coldTotal.rps / pub.rps, {
    label: 'guarded ÷ public req/s, a new token each request',
    value: `${fmt(coldTotal.rps)} req/s guarded, cold`,
    baseline: `${fmt(pub.rps)} req/s public`,
    goal: 'report',
  });
  report.add('public_floor_ratio', pub.rps / floorRps, {
    label: 'public route ÷ the same answer from bare Fastify (no Nest), req/s',
    value: `${fmt(pub.rps)} req/s public`,
    baseline: `${fmt(floorRps)} req/s bare Fastify (\`bench/floor-server.ts\`, same run)`,
    goal: '≥ 0.5',
    met: (v) => v >= 0.5,
  });
  report.add('dpop_guard_ratio', dpop.rps / guarded.rps, {
    label: 'guarded req/s with a fresh DPoP proof each request ÷ with a bearer token, same route',
    value: `${fmt(dpop.rps)} req/s with proofs (${dpopRefused} refused)`,
    baseline: `${fmt(guarded.rps)} req/s bearer (same route, same run)`,
    goal: '≥ 0.7',
    met: (v) => v >= 0.7 && dpopRefused === 0,
  });
  report.add('api_key_guard_ratio', apiKeyTotal.rps / guarded.rps, {
    label: 'guarded req/s with an API key ÷ with an access token, same route',
    value:
      `${fmt(apiKeyTotal.rps)} req/s with an API key (${apiKeyRefused} refused; ` +
      `${apiKeyReads} key reads from the database in ${fmt(apiKeyTotal.seconds)} s)`,
    baseline: `${fmt(guarded.rps)} req/s bearer access token (same route, same run)`,
    goal: '≥ 0.8',
    met: (v) => v >= 0.8 && apiKeyRefused === 0,
  });
  report.add('db_queries_per_guarded_request', requestQueries / guardedRequests, {
    label: 'statements the server sent to PostgreSQL per guarded request',
    value: `${requestQueries} in ${fmt(guardedRequests)} guarded requests`,
    baseline: `${timerQueries} sent by timers meanwhile (revocation re-read, mail outbox, LISTEN probe)`,
    goal: '= 0',
    met: (v) => v === 0,
    digits: 6,
  });
  report.details.guard = {
    connections: GUARD_CONNECTIONS,
    sliceSeconds: slice,
    rounds: GUARD_ROUNDS,
    pairRatios,
    medianPairRatio: median(pairRatios),
    public: publics,
    guarded: guardeds,
    cold: colds,
    dpop: dpops,
    apiKey: apiKeys,
    apiKeyStatements: [...apiKeyStatements.values()],
    coldTokens: { signed: COLD_TOKENS, used: nextCold },
    statements: guardStatements,
  };
  return pub.rps;
}

// ------------------------------------------------------------------------------------------ 1'. metrics
/**
 * What metrics cost the guarded path: the main server (METRICS_TOKEN set: the per-request counter and histogram
 * on) against a second one on the same database without METRICS_TOKEN, same token and route, slices alternating
 * so drift lands on both alike.
 */
async function metricsScenario({ server, db, logins }: MainServer, bench: Bench): Promise<void> {
  const plain = await BenchServer.start({ ...bench.env, DATABASE_URL: db.url, METRICS_TOKEN: '' });
  try {
    const token = logins[0].accessToken;
    const run = (target: BenchServer, seconds: number) =>
      bearer(`${target.url}/api/bench/guarded`, token, seconds, GUARD_CONNECTIONS);
    await run(plain, secs(2));
    await run(server, secs(1));
    const withMetrics: Measured<LoadResult>[] = [];
    const without: Measured<LoadResult>[] = [];
    for (let round = 0; round < GUARD_ROUNDS; round++) {
      without.push(await measured(plain, 'guarded-no-metrics', () => run(plain, secs(GUARD_SLICE_SECONDS))));
      withMetrics.push(await measured(server, 'guarded', () => run(server, secs(GUARD_SLICE_SECONDS))));
    }
    const on = total(withMetrics);
    const off = total(without);
    const scrape = await fetch(`${server.url}/api/metrics`, {
      headers: { authorization: `Bearer ${bench.env.METRICS_TOKEN}` },
    });
    const series = (await scrape.text()).split('\n').filter((line) => line && !line.startsWith('#')).length;
    progress(`metrics: guarded ${fmt(on.rps)} req/s with, ${fmt(off.rps)} req/s without; ${series} series`);
    report.add('metrics_guard_cost', 1 - on.rps / off.rps, {
      label: 'guarded req/s lost to metrics: 1 − with ÷ without',
      value: `${fmt(on.rps)} req/s with METRICS_TOKEN set`,
      baseline: `${fmt(off.rps)} req/s on a second server without it (same database, token, route)`,
      goal: '≤ 0.05',
      met: (v) => v <= 0.05,
    });
    report.details.metrics = { withMetrics, without, scrapeStatus: scrape.status, series };
  } finally {
    await plain.stop();
  }
}

// ------------------------------------------------------------------------------------------ 6. users' view
async function meScenario({ server, logins }: MainServer, publicRps: number | undefined): Promise<void> {
  const url = `${server.url}/api/users/me`;
  const token = logins[0].accessToken;
  await bearer(url, token, secs(1), ME_CONNECTIONS);
  const run = await measured(server, 'me', () => bearer(url, token, secs(8), ME_CONNECTIONS));
  progress(`me: ${fmt(run.result.rps)} req/s, p99 ${run.result.p99.toFixed(1)} ms`);
  report.add('me_rps', run.result.rps, {
    label: 'guarded `GET /api/users/me` req/s (PostgreSQL)',
    value: `${fmt(run.result.rps)} req/s`,
    baseline: publicRps ? `${fmt(publicRps)} req/s public tiny route` : '—',
    goal: 'report',
    digits: 0,
  });
  if (publicRps) {
    report.add('me_ratio', run.result.rps / publicRps, {
      label: '`me_rps` ÷ public tiny route req/s',
      value: `${fmt(run.result.rps)} req/s`,
      baseline: `${fmt(publicRps)} req/s public (\`@Public()\`, no database)`,
      goal: '≥ 0.9',
      met: (v) => v >= 0.9,
    });
  }
  report.add('me_p99_ms', run.result.p99, {
    label: '`GET /api/users/me` p99 (ms)',
    value: `${run.result.p99.toFixed(2)} ms`,
    baseline: `p50 ${run.result.p50.toFixed(2)} ms; ${ME_CONNECTIONS} connections, saturated`,
    goal: 'report',
    digits: 2,
  });
  report.details.me = { connections: ME_CONNECTIONS, ...run };
}

// ------------------------------------------------------------------------------------------ 3. refresh
async function refreshScenario({ server, db, logins, emails }: MainServer, bench: Bench): Promise<void> {
  const chains: Chain[] = logins.map((l) => ({ cookie: l.refreshToken }));
  await server.request('queries.reset');
  const warm = await refreshLoad(server, chains.slice(0, REFRESH_CONNECTIONS), REFRESH_CONNECTIONS, secs(1));
  const sent = await server.request<QueryCount>('queries.read');
  const statement = pickRotationStatement(sent.statements, warm.ok);
  const run = await measured(server, 'refresh', () =>
    refreshLoad(server, chains.slice(REFRESH_CONNECTIONS), REFRESH_CONNECTIONS, secs(10)),
  );
  await sleep(500); // requests cut off in flight finish on the server
  const [{ families }] = await server.sql<{ families: number }>(DOUBLE_LIVE_TOKENS);
  progress(
    `refresh: ${fmt(run.result.rps)} req/s, p99 ${run.result.p99.toFixed(1)} ms, ${run.result.broken} broken chains, ` +
      `${families} families with two live tokens`,
  );

  const [{ id: userId }] = await server.sql<{ id: string }>('SELECT id FROM users WHERE email = $1', [
    emails[0],
  ]);
  const floor = await refreshFloor(server, db, bench, userId);
  progress(
    `refresh floor (bare Fastify, the same statement and signing): ${fmt(floor.rps)} req/s, p99 ${floor.p99.toFixed(1)} ms`,
  );
  const ceilingOf = async (sql: CeilingSql): Promise<{ best: CeilingResult; all: CeilingResult[] }> => {
    const all: CeilingResult[] = [];
    for (const clients of CEILING_CLIENTS) {
      const result = await runBenchChild<CeilingResult>('pg-rotation-ceiling.ts', {
        args: [
          JSON.stringify({
            url: db.url,
            userId,
            clients,
            sql,
            warmupSeconds: secs(1),
            seconds: secs(5),
          } satisfies CeilingInput),
        ],
      });
      all.push(result);
      report.cpuRows.push({
        scenario: `pg-rotation-ceiling ${sql.kind}, ${clients} clients (load generator = the pg script)`,
        cpu: result.cpu,
      });
    }
    const best = all.reduce((top, c) => (c.tps > top.tps ? c : top));
    progress(
      `PostgreSQL rotation ceiling (${sql.kind}): ` +
        all.map((c) => `${fmt(c.tps)} tps with ${c.clients} clients`).join(', '),
    );
    return { best, all };
  };
  const legacy = await ceilingOf({ kind: 'legacy' });
  const ceiling = await ceilingOf({ kind: 'statement', text: statement });
  const clientsNote = `best of ${CEILING_CLIENTS.join(' or ')} clients`;

  report.add('refresh_rps', run.result.rps, {
    label: `\`POST /api/auth/refresh\` req/s, ${REFRESH_CONNECTIONS} chains (PostgreSQL)`,
    value: `${fmt(run.result.rps)} req/s`,
    baseline: `${fmt(legacy.best.tps)} rotations/s: the legacy six-statement transaction with bare \`pg\``,
    goal: '≥ 1,000 and ≥ 1.0 × legacy ceiling',
    met: (v) => v >= 1000 && v >= legacy.best.tps,
    digits: 0,
  });
  report.add('refresh_p99_ms', run.result.p99, {
    label: 'refresh p99 (ms)',
    value: `${run.result.p99.toFixed(1)} ms`,
    baseline: `p50 ${run.result.p50.toFixed(1)} ms; the one statement's p99 with bare \`pg\` ${ceiling.best.p99Ms.toFixed(1)} ms`,
    goal: '< 50',
    met: (v) => v < 50,
    digits: 1,
  });
  report.add('legacy_rotation_ceiling_tps', legacy.best.tps, {
    label: 'the legacy rotation (six round trips, unnamed) with bare `pg`, rotations/s',
    value: `${fmt(legacy.best.tps)} tps (${legacy.best.clients} clients)`,
    baseline: `p99 ${legacy.best.p99Ms.toFixed(1)} ms; ${clientsNote}`,
    goal: 'report',
    digits: 0,
  });
  report.add('pg_rotation_ceiling_tps', ceiling.best.tps, {
    label: "the server's one rotation statement (named) with bare `pg`, rotations/s",
    value: `${fmt(ceiling.best.tps)} tps (${ceiling.best.clients} clients)`,
    baseline: `${fmt(legacy.best.tps)} tps legacy: ×${(ceiling.best.tps / legacy.best.tps).toFixed(2)}; ${clientsNote}`,
    goal: 'report',
    digits: 0,
  });
  report.add('refresh_ratio', run.result.rps / ceiling.best.tps, {
    label: "refresh req/s ÷ the one statement's ceiling",
    value: `${fmt(run.result.rps)} req/s`,
    baseline: `${fmt(ceiling.best.tps)} tps: \`pg_rotation_ceiling_tps\``,
    goal: '≥ 0.6',
    met: (v) => v >= 0.6,
  });
  report.add('refresh_floor_ratio', run.result.rps / floor.rps, {
    label: 'refresh req/s ÷ the same rotation on bare Fastify (same statement, same signing, no Nest)',
    value: `${fmt(run.result.rps)} req/s`,
    baseline: `${fmt(floor.rps)} req/s bare Fastify + \`pg\` (\`bench/floor-server.ts\`, p99 ${floor.p99.toFixed(1)} ms)`,
    goal: 'report',
  });
  const publicRps = report.values.public_rps;
  if (publicRps !== undefined) {
    report.add('refresh_cost_ratio', publicRps / run.result.rps, {
      label: 'public route req/s ÷ refresh req/s: what one refresh costs, in tiny requests',
      value: `${fmt(run.result.rps)} req/s refresh`,
      baseline: `${fmt(publicRps)} req/s public (the guard scenario, same run)`,
      goal: '≤ 1.5',
      met: (v) => v <= 1.5,
    });
  }
  report.add('double_live_tokens', families, {
    label: 'families with more than one unrotated token',
    value: `${families}`,
    baseline: `after ${fmt(run.result.ok)} rotations`,
    goal: '= 0',
    met: (v) => v === 0,
    digits: 0,
  });
  report.details.refresh = {
    connections: REFRESH_CONNECTIONS,
    ...run,
    statementsPerRefresh: sent.total / Math.max(1, warm.ok),
    rotationStatement: statement,
    ceilings: { legacy: legacy.all, statement: ceiling.all },
    floor,
  };
}

/**
 * What an active organization costs a refresh: the statement then also reads the membership and the token lists
 * the role's permissions. Two users seeded alike, one a member of an organization its sessions have made active;
 * their refreshes run in turns (plain, org, plain, org) so drift over the run falls on both alike.
 */
async function orgRefreshScenario(server: BenchServer, bench: Bench): Promise<void> {
  const plainUser = await seedUser(server, `bench-plain-${Date.now()}@example.com`);
  const orgUser = await seedUser(server, `bench-org-${Date.now()}@example.com`);
  const [{ id: orgId }] = await server.sql<{ id: string }>(
    `INSERT INTO organizations (name) VALUES ('bench') RETURNING id`,
  );
  await server.sql(`INSERT INTO org_memberships (organization_id, user_id, role) VALUES ($1, $2, 'admin')`, [
    orgId,
    orgUser,
  ]);
  const rounds = 2;
  const perRun = REFRESH_CONNECTIONS;
  const plainChains = await seedChains(server, bench.signer, plainUser, perRun * (rounds + 1));
  const orgChains = await seedChains(server, bench.signer, orgUser, perRun * (rounds + 1) + 1);
  await server.sql('UPDATE sessions SET organization_id = $1 WHERE user_id = $2', [orgId, orgUser]);

  // The org chains really carry the organization: one refresh, its access token read.
  const probe = orgChains.pop()!;
  const answer = await fetch(`${server.url}/api/auth/refresh`, {
    method: 'POST',
    headers: { cookie: `${REFRESH_COOKIE}=${probe.cookie}` },
  });
  const claims = claimsOf(((await answer.json()) as { accessToken: string }).accessToken);
  if ((claims.org as { id?: string } | undefined)?.id !== orgId)
    throw new Error('a refresh of a session with an active organization answered no org claim');

  const runs = { plain: [] as Measured<RefreshRun>[], org: [] as Measured<RefreshRun>[] };
  const chainsFor = (kind: 'plain' | 'org', round: number) =>
    (kind === 'plain' ? plainChains : orgChains).slice(round * perRun, (round + 1) * perRun);
  await refreshLoad(server, chainsFor('plain', 0), perRun, secs(1));
  // The warm-up of the org refreshes shows what each sends: the rotation statement, and no other.
  await server.request('queries.reset');
  await refreshLoad(server, chainsFor('org', 0), perRun, secs(1));
  await sleep(500); // requests cut off in flight finish on the server
  const sent = await server.request<QueryCount>('queries.read');
  const inRequests = sent.statements.filter((statement) => statement.inRequests > 0);
  if (inRequests.length !== 1 || !inRequests[0].text.includes('org_memberships'))
    throw new Error(
      'a refresh with an active organization sent more than its one statement:\n' +
        inRequests.map((statement) => `  ${statement.inRequests} × ${statement.text}`).join('\n'),
    );
  for (let round = 1; round <= rounds; round++) {
    for (const kind of ['plain', 'org'] as const) {
      const run = await measured(server, `refresh-${kind}`, () =>
        refreshLoad(server, chainsFor(kind, round), perRun, secs(4)),
      );
      if (run.result.broken > 0) throw new Error(`the ${kind} refresh run broke ${run.result.broken} chains`);
      runs[kind].push(run);
    }
  }
  const plain = total(runs.plain);
  const org = total(runs.org);
  progress(
    `refresh with an active organization: ${fmt(org.rps)} req/s, one statement each; ` +
      `without: ${fmt(plain.rps)} req/s`,
  );
  report.add('refresh_rps_org', org.rps / plain.rps, {
    label: 'refresh req/s with an active organization ÷ without (same run, in turns)',
    value: `${fmt(org.rps)} req/s`,
    baseline:
      `${fmt(plain.rps)} req/s: the same refresh of a session with no active organization ` +
      '(with one, still the one rotation statement per refresh)',
    goal: '≥ 0.9',
    met: (v) => v >= 0.9,
  });
  report.details.refreshOrg = { connections: perRun, statement: inRequests[0].text, ...runs };
}

/** The refresh floor's rate: `bench/floor-server.ts` rotating chains of its own, seeded as logins leave them. */
async function refreshFloor(
  server: BenchServer,
  db: BenchDatabase,
  bench: Bench,
  userId: string,
): Promise<RefreshRun> {
  const chains = await seedChains(server, bench.signer, userId, REFRESH_CONNECTIONS * 3);
  const floor = await FloorServer.start({ ...bench.env, DATABASE_URL: db.url });
  try {
    await refreshLoad(floor, chains.slice(0, REFRESH_CONNECTIONS), REFRESH_CONNECTIONS, secs(1));
    const run = await refreshLoad(floor, chains.slice(REFRESH_CONNECTIONS), REFRESH_CONNECTIONS, secs(10));
    if (run.broken > 0) throw new Error(`the refresh floor broke ${run.broken} chains`);
    return run;
  } finally {
    floor.stop();
  }
}

// ------------------------------------------------------------------------------------------ 4. login storm
async function stormScenario({ server, logins, emails }: MainServer): Promise<void> {
  const token = logins[0].accessToken;
  const probe = (seconds: number) =>
    load({
      url: `${server.url}/api/bench/guarded`,
      connections: PROBE_CONNECTIONS,
      overallRate: PROBE_RATE,
      duration: seconds,
      headers: { authorization: `Bearer ${token}` },
    });
  await probe(secs(1));
  const idle = await measured(server, 'idle', () => probe(secs(5)));
  let nextUser = 0;
  const storming = load({
    url: `${server.url}/api/auth/login`,
    connections: LOGIN_CONNECTIONS,
    duration: secs(10) + 2,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ email: emails[nextUser++ % emails.length], password: PASSWORD }),
        }),
      },
    ],
  });
  await sleep(1000); // logins fill the argon2 queue first
  await server.request('argon2.reset');
  const storm = await measured(server, 'storm', () => probe(secs(10)));
  const argon2InServer = await server.request<Argon2Usage>('argon2.read');
  const logins2 = await storming;
  progress(
    `storm: probe p99 ${storm.result.p99.toFixed(2)} ms (idle ${idle.result.p99.toFixed(2)} ms), ` +
      `${logins2.rps.toFixed(1)} logins/s`,
  );
  const argon2 = await runBenchChild<Argon2CeilingResult>('argon2-ceiling.ts', {
    args: ['1', String(secs(6))],
  });
  progress(
    `argon2 ceiling: ${argon2.verifiesPerSecond.toFixed(1)} verifies/s (${argon2.msPerVerify.toFixed(1)} ms each), ` +
      `${argon2.concurrency} at a time; in the server during the storm: ${argon2InServer.meanMs.toFixed(1)} ms ` +
      `each, slot busy ${(argon2InServer.busyShare * 100).toFixed(0)} % of the time`,
  );

  const idleP99 = Math.max(idle.result.p99, IDLE_P99_FLOOR_MS);
  report.add('login_storm_p99_ratio', storm.result.p99 / idleP99, {
    label: `guarded p99 at ${fmt(PROBE_RATE)} req/s during a login storm ÷ idle`,
    value: `${storm.result.p99.toFixed(2)} ms during the storm`,
    baseline: `${idle.result.p99.toFixed(2)} ms idle, floored at ${IDLE_P99_FLOOR_MS} ms`,
    goal: '≤ 3',
    met: (v) => v <= 3,
  });
  report.values.login_rps = logins2.rps;
  report.values.argon2_verify_ceiling = argon2.verifiesPerSecond;
  report.add('login_ratio', logins2.rps / argon2.verifiesPerSecond, {
    label: 'login req/s during the storm ÷ argon2 verify ceiling',
    value: `${logins2.rps.toFixed(1)} logins/s`,
    baseline: `${argon2.verifiesPerSecond.toFixed(1)} verifies/s, ${argon2.concurrency} at a time (cores − 1)`,
    goal: '≥ 0.8',
    met: (v) => v >= 0.8,
  });
  report.details.loginStorm = {
    probe: { rate: PROBE_RATE, connections: PROBE_CONNECTIONS },
    idle,
    storm,
    logins: { connections: LOGIN_CONNECTIONS, users: emails.length, ...logins2 },
    argon2InServer,
    argon2,
  };
}

async function withMainServer(bench: Bench, work: (main: MainServer) => Promise<void>): Promise<void> {
  const db = await BenchDatabase.create(bench.adminUrl, 'main');
  let server: BenchServer | undefined;
  try {
    currentDatabase = db.name;
    server = await BenchServer.start({ ...bench.env, DATABASE_URL: db.url });
    progress(`server on PostgreSQL (${db.name}) at ${server.url}`);
    const emails = Array.from({ length: LOGIN_USERS }, (_, i) => `bench-${i}@example.com`);
    for (const email of emails) await register(server.url, email, PASSWORD);
    const base = server.url;
    const logins = await inBatches(2 * REFRESH_CONNECTIONS + 8, 8, () => login(base, emails[0], PASSWORD));
    progress(`registered ${emails.length} users, ${logins.length} logins`);
    await work({ server, db, emails, logins });
  } finally {
    await server?.stop();
    await db.drop();
  }
}

// ------------------------------------------------------------------------------------------ 5. scale
async function scaleScenario(bench: Bench): Promise<void> {
  const db = await BenchDatabase.create(bench.adminUrl, 'scale');
  let server: BenchServer | undefined;
  try {
    currentDatabase = db.name;
    server = await BenchServer.start({ ...bench.env, DATABASE_URL: db.url });
    const s = server;
    progress(`server on PostgreSQL (${db.name}) for the scale scenario`);
    const userId = await seedUser(s, 'bench-scale@example.com');
    const fillerUser = await seedUser(s, 'bench-filler@example.com');
    const stored = async () =>
      Number((await s.sql<{ n: string }>('SELECT count(*) AS n FROM refresh_tokens'))[0].n);
    const run = async (label: string, target: number) => {
      const seeding = Date.now();
      const chains = await seedChains(s, bench.signer, userId, REFRESH_CONNECTIONS * 2 + 8);
      const have = await stored();
      if (have < target) await seedFiller(s, fillerUser, target - have);
      await s.sql('VACUUM ANALYZE sessions, refresh_tokens');
      const tokens = await stored();
      const seedSeconds = (Date.now() - seeding) / 1000;
      await refreshLoad(s, chains.slice(0, REFRESH_CONNECTIONS), REFRESH_CONNECTIONS, secs(1));
      const result = await measured(s, `scale-${label}`, () =>
        refreshLoad(s, chains.slice(REFRESH_CONNECTIONS), REFRESH_CONNECTIONS, secs(5)),
      );
      progress(
        `scale, ${fmt(tokens)} stored tokens (seeded in ${seedSeconds.toFixed(0)} s): ` +
          `p50 ${result.result.p50.toFixed(2)} ms, ${fmt(result.result.rps)} req/s`,
      );
      return { tokens, seedSeconds, ...result };
    };
    const small = await run('small', SCALE_SMALL);
    const large = await run('large', SCALE_LARGE);
    report.add('refresh_p50_scale_ratio', large.result.p50 / small.result.p50, {
      label: 'refresh p50 with 1,000,000 stored tokens ÷ with 1,000',
      value: `${large.result.p50.toFixed(2)} ms at ${fmt(large.tokens)} tokens`,
      baseline: `${small.result.p50.toFixed(2)} ms at ${fmt(small.tokens)} tokens`,
      goal: '≤ 1.2',
      met: (v) => v <= 1.2,
    });
    report.details.scale = { connections: REFRESH_CONNECTIONS, small, large };
  } finally {
    await server?.stop();
    await db.drop();
  }
}

// ------------------------------------------------------------------------------------------ 3'. PGlite
async function pgliteScenario(bench: Bench): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-pglite-'));
  let server: BenchServer | undefined;
  try {
    currentDatabase = undefined;
    server = await BenchServer.start({ ...bench.env, DATA_DIR: dataDir });
    const s = server;
    progress('server on PGlite');
    const userId = await seedUser(s, 'bench-pglite@example.com');
    const chains = await seedChains(s, bench.signer, userId, REFRESH_CONNECTIONS * 2 + 8);
    await refreshLoad(s, chains.slice(0, REFRESH_CONNECTIONS), REFRESH_CONNECTIONS, secs(1));
    const run = await measured(s, 'refresh-pglite', () =>
      refreshLoad(s, chains.slice(REFRESH_CONNECTIONS), REFRESH_CONNECTIONS, secs(8)),
    );
    await sleep(500);
    const [{ families }] = await s.sql<{ families: number }>(DOUBLE_LIVE_TOKENS);
    progress(`refresh on PGlite: ${fmt(run.result.rps)} req/s, ${families} families with two live tokens`);
    const postgres = report.values.refresh_rps;
    report.add('refresh_rps_pglite', run.result.rps, {
      label: `\`POST /api/auth/refresh\` req/s, ${REFRESH_CONNECTIONS} chains (PGlite)`,
      value: `${fmt(run.result.rps)} req/s (p99 ${run.result.p99.toFixed(0)} ms)`,
      baseline: postgres === undefined ? '—' : `${fmt(postgres)} req/s on PostgreSQL`,
      goal: 'report',
      digits: 0,
    });
    if (postgres !== undefined) {
      report.add('refresh_pglite_ratio', run.result.rps / postgres, {
        label: 'refresh req/s on PGlite ÷ refresh req/s on PostgreSQL (same run)',
        value: `${fmt(run.result.rps)} req/s on PGlite`,
        baseline: `${fmt(postgres)} req/s on PostgreSQL`,
        goal: '≥ 0.5',
        met: (v) => v >= 0.5,
      });
    }
    report.details.refreshPglite = { connections: REFRESH_CONNECTIONS, ...run, doubleLiveTokens: families };
  } finally {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------ 5'. memory
async function memoryScenario(): Promise<void> {
  const memory = await runBenchChild<RevocationMemoryResult>('revocation-memory.ts', {
    execArgv: ['--expose-gc'],
    args: [String(REVOCATIONS)],
  });
  report.add('revocation_bytes_per_entry', memory.bytesPerEntry, {
    label: 'heap per revoked session held by the revocation set',
    value: `${memory.bytesPerEntry.toFixed(0)} bytes`,
    baseline: `${(memory.heapBytes / 2 ** 20).toFixed(1)} MiB for ${fmt(memory.entries)} revocations`,
    goal: 'report',
    digits: 0,
  });
  report.details.revocationMemory = memory;
}

async function main(): Promise<void> {
  const bench = makeBench(maintenanceUrl());
  const postgres = await describeServer(bench.adminUrl);
  report.machine = {
    cpus: `${availableParallelism()} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    postgres,
    date: new Date().toISOString(),
    timeFactor: FACTOR,
  };
  progress(`${report.machine.cpus}; ${postgres}`);
  // Benchmarks on a busy machine measure the other work: say so, and keep the figure with the results.
  const busy = await machineBusyCores(2000);
  if (busy !== undefined) {
    report.machine.busyCoresBeforeStart = Math.round(busy * 100) / 100;
    if (busy > 0.25)
      progress(`WARNING: ${busy.toFixed(2)} cores were busy before the start: figures will be low`);
  }

  if (['guard', 'me', 'refresh', 'org', 'storm'].some(enabled)) {
    await withMainServer(bench, async (main) => {
      const publicRps = enabled('guard') ? await guardScenario(main, bench) : undefined;
      if (enabled('metrics')) await metricsScenario(main, bench);
      if (enabled('me')) await meScenario(main, publicRps);
      if (enabled('refresh')) await refreshScenario(main, bench);
      if (enabled('org')) await orgRefreshScenario(main.server, bench);
      if (enabled('storm')) await stormScenario(main);
    });
  }
  if (enabled('scale')) await scaleScenario(bench);
  if (enabled('activity')) await activityScenario(bench);
  if (enabled('pglite')) await pgliteScenario(bench);
  if (enabled('memory')) await memoryScenario();
  if (enabled('workers')) await workersScenario(bench);

  const seconds = (Date.now() - started) / 1000;
  report.details.totalSeconds = seconds;
  const path = join(ROOT, 'bench', 'results.json');
  writeFileSync(path, `${JSON.stringify(report.json(), null, 2)}\n`);
  process.stdout.write(
    `\n${report.markdown()}\n\nWhere the CPU went (cores, averaged over each measured run):\n\n`,
  );
  process.stdout.write(`${report.cpuMarkdown()}\n\n`);
  progress(`done in ${seconds.toFixed(0)} s; wrote ${path}`);
}

// ------------------------------------------------------------------------------------------ 5b. activity
/**
 * The account history page at scale: one user's `GET /api/auth/activity` (the newest 20 of their 200 events), with
 * 1,000 events stored in all, then 1,000,000 (the others spread over 20,000 accounts and a year, as a busy
 * deployment's history is). The ratio of the p50s is what the (user_id, id) index buys.
 */
async function activityScenario(bench: Bench): Promise<void> {
  const db = await BenchDatabase.create(bench.adminUrl, 'activity');
  let server: BenchServer | undefined;
  try {
    currentDatabase = db.name;
    server = await BenchServer.start({ ...bench.env, DATABASE_URL: db.url });
    const s = server;
    progress(`server on PostgreSQL (${db.name}) for the activity scenario`);
    const userId = await seedUser(s, 'bench-activity@example.com');
    await s.sql(
      `INSERT INTO audit_events (user_id, type, at, ip, user_agent, details)
       SELECT $1, 'login.succeeded', now() - (n || ' minutes')::interval, '203.0.113.7', 'Mozilla/5.0 bench',
              jsonb_build_object('sessionId', gen_random_uuid(), 'amr', jsonb_build_array('pwd'))
         FROM generate_series(1, $2::int) AS n`,
      [userId, ACTIVITY_OWN_EVENTS],
    );
    const token = bench.signer.signAccessToken({ id: userId, roles: ['user'] }, randomUUID(), {
      amr: ['pwd'],
      authTime: new Date(),
    });
    const url = `${s.url}/api/auth/activity?limit=20`;
    const stored = async () =>
      Number((await s.sql<{ n: string }>('SELECT count(*) AS n FROM audit_events'))[0].n);
    const run = async (label: string, target: number) => {
      const seeding = Date.now();
      const batch = 250_000;
      for (let have = await stored(); have < target; have = await stored()) {
        await s.sql(
          `INSERT INTO audit_events (user_id, type, at, ip, user_agent, details)
           SELECT u.ids[1 + (n % $3::int)], 'login.succeeded', now() - (n % 525600 || ' minutes')::interval,
                  '198.51.100.' || (n % 250), 'Mozilla/5.0 bench filler', '{"amr":["pwd"]}'
             FROM (SELECT array_agg(gen_random_uuid()) AS ids FROM generate_series(1, $3::int)) AS u,
                  generate_series(1, $1::int) AS n
            WHERE n <= $2::int`,
          [batch, target - have, ACTIVITY_OTHER_USERS],
        );
      }
      await s.sql('VACUUM ANALYZE audit_events');
      const events = await stored();
      const seedSeconds = (Date.now() - seeding) / 1000;
      const probe = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      const page = (await probe.json()) as { items?: { type: string }[] };
      if (probe.status !== 200 || page.items?.length !== 20)
        throw new Error(`the activity page answered ${probe.status} with ${page.items?.length} items`);
      await bearer(url, token, secs(1), ACTIVITY_CONNECTIONS);
      const result = await measured(s, `activity-${label}`, () =>
        bearer(url, token, secs(6), ACTIVITY_CONNECTIONS),
      );
      progress(
        `activity, ${fmt(events)} stored events (seeded in ${seedSeconds.toFixed(0)} s): ` +
          `p50 ${result.result.p50.toFixed(2)} ms, ${fmt(result.result.rps)} req/s`,
      );
      return { events, seedSeconds, ...result };
    };
    const small = await run('small', SCALE_SMALL);
    const large = await run('large', SCALE_LARGE);
    report.add('activity_p50_scale_ratio', large.result.p50 / small.result.p50, {
      label: '`GET /api/auth/activity` p50 with 1,000,000 stored events ÷ with 1,000',
      value: `${large.result.p50.toFixed(2)} ms at ${fmt(large.events)} events`,
      baseline: `${small.result.p50.toFixed(2)} ms at ${fmt(small.events)} events`,
      goal: '≤ 1.5',
      met: (v) => v <= 1.5,
    });
    report.details.activity = { connections: ACTIVITY_CONNECTIONS, small, large };
  } finally {
    await server?.stop();
    await db.drop();
  }
}

// ------------------------------------------------------------------------------------------ workers
async function workersScenario(bench: Bench): Promise<void> {
  const redisUrl = process.env.BENCH_REDIS_URL?.trim() || process.env.TEST_REDIS_URL?.trim();
  if (!redisUrl) {
    progress('workers: skipped (WORKERS=2 needs Redis: set BENCH_REDIS_URL or TEST_REDIS_URL)');
    return;
  }
  const result = await measureWorkersScale({
    adminUrl: bench.adminUrl,
    redisUrl,
    env: bench.env,
    signer: bench.signer,
    seconds: secs(10),
    warmSeconds: secs(2),
  });
  for (const run of [result.one, result.two]) {
    report.cpuRows.push({
      scenario: `refresh, WORKERS=${run.workers} (server = primary and workers)`,
      cpu: run.cpu,
    });
  }
  progress(
    `workers: refresh ${fmt(result.one.rps)} req/s with WORKERS=1, ${fmt(result.two.rps)} with WORKERS=2 ` +
      `(p99 ${result.one.p99.toFixed(1)} / ${result.two.p99.toFixed(1)} ms)`,
  );
  report.add('workers_refresh_scale', result.workers_refresh_scale, {
    label: "refresh req/s with `WORKERS=2` ÷ with `WORKERS=1` (`npm start`'s process, Redis for both)",
    value: `${fmt(result.two.rps)} req/s with 2 workers (p99 ${result.two.p99.toFixed(1)} ms)`,
    baseline: `${fmt(result.one.rps)} req/s with 1 (p99 ${result.one.p99.toFixed(1)} ms), same database server`,
    goal: 'report',
  });
  report.details.workers = result;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
