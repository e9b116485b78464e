import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { PASSWORD } from './support/auth-client';
import { redisUrl, serverUrl } from './support/databases';
import { DpopKey } from './support/dpop-key';
import { scrapeMetrics, ScrapeReply } from './support/metrics-scrape';
import { parsePrometheusText, Scrape } from './support/prometheus-text';
import { freePort, ServerProcess } from './support/server-process';
import { answeredBy, call, entries, Reply, waitForEntry } from './support/worker-requests';
import { adminQuery, dropDatabase } from './support/test-app';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LOGIN_LIMIT = 3;
const CLEANUP_SECONDS = 10;
const WRONG_PASSWORD = 'not the right passphrase, again';
const freshEmail = (prefix: string) => `${prefix}-${randomUUID()}@example.com`;
const freshAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const METRICS_TOKEN = randomBytes(32).toString('base64url');
const LIVE = { method: 'GET', route: '/api/health/live', status: '200' };

describe('WORKERS above 1 without the shared state it needs [PGlite]', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-workers-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses WORKERS=2 on the embedded database, in one line naming what is missing, and forks nothing', async () => {
    const server = await ServerProcess.start({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      WORKERS: '2',
    });
    const { code } = await server.exited;
    expect(code).toBe(1);
    expect(server.text).toBe(
      'Gatehouse failed to start: invalid configuration: ' +
        'WORKERS is 2, which needs DATABASE_URL (a PostgreSQL server): the embedded database can be opened by one process only; ' +
        'WORKERS is 2, which needs REDIS_URL: rate limits and the DPoP replay cache must be shared by the workers\n',
    );
  }, 60_000);
});

if (!serverUrl || !redisUrl) {
  process.stderr.write(
    `${serverUrl ? 'TEST_REDIS_URL' : 'TEST_DATABASE_URL'} is not set: WORKERS=2 is checked only for its refusal on PGlite\n`,
  );
} else {
  const maintenanceUrl = serverUrl;
  const sharedRedisUrl = redisUrl;

  describe('two workers on one port [PostgreSQL]', () => {
    let port: number;
    let dataDir: string;
    let databaseName: string;
    let databaseUrl: string;
    let server: ServerProcess;
    let db: Client;
    /** When the primary said every worker listens: both have bootstrapped (and set their timers) before. */
    let announcedAt: number;
    let workers: number[];
    let cleaner: number;
    /** The worker that answered each liveness probe the metrics test sent (nothing else asks that route). */
    let probedBy: number[] = [];

    const login = (email: string, password = PASSWORD, headers: Record<string, string> = {}) =>
      call(port, 'POST', '/api/auth/login', {
        headers: { 'x-forwarded-for': freshAddress(), ...headers },
        body: { email, password },
      });

    async function signUp(): Promise<{ email: string; accessToken: string; cookie: string }> {
      const email = freshEmail('workers');
      const registered = await call(port, 'POST', '/api/auth/register', {
        body: { email, password: PASSWORD },
      });
      expect(registered.status).toBe(201);
      const response = await login(email);
      expect(response.status).toBe(200);
      const setCookie = response.headers['set-cookie']?.find((line) => line.startsWith('refresh_token='));
      return {
        email,
        accessToken: response.body.accessToken as string,
        cookie: setCookie!.split(';')[0],
      };
    }

    const me = (accessToken: string) =>
      call(port, 'GET', '/api/users/me', { headers: { authorization: `Bearer ${accessToken}` } });

    /** A scrape through the shared port, which must succeed and parse as the text format. */
    async function scrape(): Promise<{ reply: ScrapeReply; metrics: Scrape }> {
      const reply = await scrapeMetrics(port, METRICS_TOKEN);
      expect({ status: reply.status, type: reply.headers['content-type'] }).toEqual({
        status: 200,
        type: 'text/plain; version=0.0.4; charset=utf-8',
      });
      return { reply, metrics: parsePrometheusText(reply.text) };
    }

    beforeAll(async () => {
      databaseName = `gatehouse_test_${randomUUID().replace(/-/g, '')}`;
      await adminQuery(`CREATE DATABASE "${databaseName}"`);
      const url = new URL(maintenanceUrl);
      url.pathname = `/${databaseName}`;
      databaseUrl = url.toString();
      dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-workers-'));
      port = await freePort();
      server = await ServerProcess.start({
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: `http://localhost:${port}`,
        DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        REDIS_URL: sharedRedisUrl,
        WORKERS: '2',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        TRUST_PROXY: 'true',
        CLEANUP_INTERVAL: `${CLEANUP_SECONDS}s`,
        PASSWORD_MIN_LENGTH: '15',
        THROTTLE_LOGIN_LIMIT: String(LOGIN_LIMIT),
        THROTTLE_REGISTER_LIMIT: '100000',
        THROTTLE_REFRESH_LIMIT: '100000',
        THROTTLE_PUBLIC_LIMIT: '100000',
        METRICS_TOKEN,
      });
      const announced = await waitForEntry(
        server,
        (entry) => entry.context === 'Workers' && /listening on .* with 2 workers/.test(entry.msg ?? ''),
        'announcing two listening workers',
        90_000,
      );
      announcedAt = announced.time;
      const [, first, second, runsCleanUp] = /pids (\d+), (\d+); (\d+) runs the periodic clean-up/.exec(
        announced.msg!,
      )!;
      workers = [Number(first), Number(second)];
      cleaner = Number(runsCleanUp);

      db = new Client({ connectionString: databaseUrl });
      await db.connect();
      // Every clean-up pass deletes from webauthn_challenges (nothing else in this suite does): a statement
      // trigger, which fires even when no row goes, records each pass, whichever worker runs it.
      await db.query(`
        CREATE TABLE cleanup_passes (at timestamptz NOT NULL DEFAULT clock_timestamp());
        CREATE FUNCTION record_cleanup_pass() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN INSERT INTO cleanup_passes DEFAULT VALUES; RETURN NULL; END $$;
        CREATE TRIGGER cleanup_pass AFTER DELETE ON webauthn_challenges
          FOR EACH STATEMENT EXECUTE FUNCTION record_cleanup_pass();`);
    }, 120_000);

    afterAll(async () => {
      await db?.end();
      await server?.kill();
      if (databaseName) await dropDatabase(databaseName);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('serves requests in both workers, the primary in neither', async () => {
      expect(new Set(workers).size).toBe(2);
      const replies = [];
      for (let i = 0; i < 6; i++) replies.push(await call(port, 'GET', '/api/health'));
      expect(replies.map((reply) => reply.status)).toEqual(Array(6).fill(200));
      const pids = await answeredBy(server, replies);
      expect(new Set(pids)).toEqual(new Set(workers));
    });

    it('answers /api/metrics for the whole host, the same figures whichever worker takes the scrape', async () => {
      const session = await signUp();
      const sent = 10;
      const probes: Reply[] = [];
      for (let i = 0; i < sent; i++) probes.push(await call(port, 'GET', '/api/health/live'));
      expect(probes.map((reply) => reply.status)).toEqual(Array(sent).fill(200));
      probedBy = await answeredBy(server, probes);
      expect(new Set(probedBy)).toEqual(new Set(workers));

      // One revocation, held by both workers once it has reached them: a sum would say 2.
      const logout = await call(port, 'POST', '/api/auth/logout', { headers: { cookie: session.cookie } });
      expect(logout.status).toBe(204);
      let streak = 0;
      for (const until = Date.now() + 2000; streak < 4 && Date.now() < until;) {
        streak = (await me(session.accessToken)).status === 401 ? streak + 1 : 0;
      }
      expect(streak).toBe(4);

      const scrapes = [];
      for (let i = 0; i < 4; i++) scrapes.push(await scrape());
      for (const { metrics } of scrapes) {
        expect(metrics.value('gatehouse_http_requests_total', LIVE)).toBe(sent);
        const durations = { method: 'GET', route: '/api/health/live' };
        expect(metrics.value('gatehouse_http_request_duration_seconds_count', durations)).toBe(sent);
        expect(metrics.value('gatehouse_logins_total', { outcome: 'succeeded' })).toBe(1);
        expect(metrics.value('gatehouse_revoked_sessions')).toBe(1);
        // A process's start time means nothing for the host: prom-client leaves it out.
        expect(metrics.series('process_start_time_seconds')).toEqual([]);
        expect(metrics.series('nodejs_version_info')).toHaveLength(1);
      }
      const replies = scrapes.map(({ reply }) => reply);
      expect(new Set(await answeredBy(server, replies))).toEqual(new Set(workers));
    });

    it('honours a revocation made in one worker in every worker within 2 s', async () => {
      const session = await signUp();
      const before = [];
      for (let i = 0; i < 4; i++) before.push(await me(session.accessToken));
      expect(before.map((reply) => reply.status)).toEqual([200, 200, 200, 200]);

      const logout = await call(port, 'POST', '/api/auth/logout', { headers: { cookie: session.cookie } });
      expect(logout.status).toBe(204);
      const loggedOutAt = Date.now();
      // Polled over new connections, alternating workers, until both refuse in a row (or 2 s have passed).
      let streak = 0;
      while (streak < 4 && Date.now() - loggedOutAt < 2000) {
        streak = (await me(session.accessToken)).status === 401 ? streak + 1 : 0;
      }
      const after = [];
      for (let i = 0; i < 12; i++) after.push(await me(session.accessToken));
      expect(after.map((reply) => reply.status)).toEqual(Array(12).fill(401));
      expect(new Set(await answeredBy(server, after))).toEqual(new Set(workers));
    });

    it('counts the login limit across workers: three attempts spread over both, then 429 on either', async () => {
      const email = freshEmail('limit');
      const registered = await call(port, 'POST', '/api/auth/register', {
        body: { email, password: PASSWORD },
      });
      expect(registered.status).toBe(201);
      const attempts = [];
      for (let i = 0; i < LOGIN_LIMIT; i++) attempts.push(await login(email, WRONG_PASSWORD));
      expect(attempts.map((reply) => reply.status)).toEqual(Array(LOGIN_LIMIT).fill(401));
      expect(new Set(await answeredBy(server, attempts))).toEqual(new Set(workers));
      // Refused whatever the password, whichever worker takes the connection.
      const refused = [await login(email), await login(email)];
      expect(refused.map((reply) => reply.status)).toEqual([429, 429]);
      expect(new Set(await answeredBy(server, refused))).toEqual(new Set(workers));
    });

    it('refuses a DPoP proof replayed on new connections, whichever worker answers', async () => {
      const key = await DpopKey.generate();
      const email = freshEmail('dpop');
      await call(port, 'POST', '/api/auth/register', { body: { email, password: PASSWORD } });
      const origin = `http://localhost:${port}`;
      const bound = await login(email, PASSWORD, {
        dpop: await key.proof('POST', `${origin}/api/auth/login`),
      });
      expect(bound.status).toBe(200);
      const accessToken = bound.body.accessToken as string;
      const proof = await key.proof('GET', `${origin}/api/users/me`, { accessToken });
      const withProof = () =>
        call(port, 'GET', '/api/users/me', {
          headers: { authorization: `DPoP ${accessToken}`, dpop: proof },
        });

      const first = await withProof();
      expect(first.status).toBe(200);
      const replays = [];
      for (let i = 0; i < 4; i++) replays.push(await withProof());
      expect(replays.map((reply) => reply.status)).toEqual([401, 401, 401, 401]);
      expect(new Set(await answeredBy(server, [first, ...replays]))).toEqual(new Set(workers));
    });

    it('runs the periodic clean-up in one worker only', async () => {
      const roles = entries(server).filter(
        (entry) => entry.context === 'Main' && /^Gatehouse listening on /.test(entry.msg ?? ''),
      );
      expect(roles.map((entry) => entry.msg)).toEqual([
        expect.stringMatching(/one of 2 workers/),
        expect.stringMatching(/one of 2 workers/),
      ]);
      const cleaners = roles.filter((entry) => entry.msg!.includes('runs the periodic clean-up'));
      expect(cleaners.map((entry) => entry.pid)).toEqual([cleaner]);

      // Past both workers' first turn: had each its own timer, two passes would be recorded a moment apart.
      await sleep(Math.max(0, announcedAt + (CLEANUP_SECONDS + 1.5) * 1000 - Date.now()));
      const passes = (await db.query<{ at: Date }>('SELECT at FROM cleanup_passes ORDER BY at')).rows;
      expect(passes.length).toBeGreaterThanOrEqual(1);
      for (let i = 1; i < passes.length; i++) {
        expect(passes[i].at.getTime() - passes[i - 1].at.getTime()).toBeGreaterThan(
          (CLEANUP_SECONDS - 1) * 1000,
        );
      }
    }, 30_000);

    it('replaces a worker killed with SIGKILL, clean-up role included, and the port keeps answering', async () => {
      const survivor = workers.find((pid) => pid !== cleaner)!;
      const killedAt = Date.now();
      process.kill(cleaner, 'SIGKILL');
      const noticed = await waitForEntry(
        server,
        (entry) =>
          entry.context === 'Workers' &&
          entry.msg === `worker ${cleaner} exited unexpectedly with signal SIGKILL`,
        'noticing the killed worker',
      );
      expect(noticed.time - killedAt).toBeLessThan(2000);

      // Meanwhile the survivor answers every connection.
      const meanwhile = [];
      for (let i = 0; i < 4; i++) meanwhile.push(await call(port, 'GET', '/api/health'));
      expect(meanwhile.map((reply) => reply.status)).toEqual([200, 200, 200, 200]);
      // A scrape meanwhile never waits on the missing worker: the survivor's figures, or 503 while the
      // replacement starts.
      const scrapedMeanwhile = await scrapeMetrics(port, METRICS_TOKEN);
      expect([200, 503]).toContain(scrapedMeanwhile.status);
      expect(scrapedMeanwhile.elapsedMs).toBeLessThan(2000);

      const replaced = await waitForEntry(
        server,
        (entry) =>
          entry.context === 'Workers' && entry.msg?.endsWith(`in place of worker ${cleaner}`) === true,
        'for the replacement',
        60_000,
      );
      const replacement = Number(/^worker (\d+) is listening/.exec(replaced.msg!)![1]);
      expect([cleaner, survivor]).not.toContain(replacement);
      const role = await waitForEntry(
        server,
        (entry) => entry.pid === replacement && /^Gatehouse listening on /.test(entry.msg ?? ''),
        'from the replacement',
      );
      expect(role.msg).toContain('the one that runs the periodic clean-up');

      const after = [];
      for (let i = 0; i < 6; i++) after.push(await call(port, 'GET', '/api/health'));
      expect(after.map((reply) => reply.status)).toEqual(Array(6).fill(200));
      expect(new Set(await answeredBy(server, after))).toEqual(new Set([survivor, replacement]));
      workers = [survivor, replacement];

      // The host's figures are the live workers': the killed worker's probes left with it.
      const survivorsProbes = probedBy.filter((pid) => pid === survivor).length;
      for (let i = 0; i < 2; i++) {
        const { metrics } = await scrape();
        expect(metrics.value('gatehouse_http_requests_total', LIVE)).toBe(survivorsProbes);
      }
    }, 90_000);

    it('drains requests in flight in every worker on SIGTERM, and the primary exits 0', async () => {
      const emails = Array.from({ length: 16 }, () => freshEmail('drain'));
      // Registrations hash passwords with argon2 a bounded number at a time, so most of these wait in the
      // workers' queues: SIGTERM lands while they are in flight.
      const answers = emails.map((email) =>
        call(port, 'POST', '/api/auth/register', { body: { email, password: PASSWORD } }).then(
          (reply) => ({ status: reply.status, at: Date.now(), reply }),
          () => ({ status: 0, at: Date.now(), reply: undefined }),
        ),
      );
      await sleep(150);
      const signalledAt = Date.now();
      server.signal('SIGTERM');
      const settled = await Promise.all(answers);
      const { code, signal } = await server.exited;

      expect({ code, signal }).toEqual({ code: 0, signal: null });
      const late = settled.filter((answer) => answer.status === 201 && answer.at > signalledAt);
      expect(late.length).toBeGreaterThan(0);
      for (const answer of settled) expect([201, 503, 0]).toContain(answer.status);
      // Both workers were draining: each served some of those requests.
      const answered = settled.flatMap((answer) => (answer.status === 201 ? [answer.reply!] : []));
      expect(new Set(await answeredBy(server, answered))).toEqual(new Set(workers));
      expect(entries(server).at(-1)).toMatchObject({ context: 'Workers', msg: 'workers stopped' });

      // Nothing acknowledged is lost.
      const acknowledged = emails.filter((_, i) => settled[i].status === 201);
      const stored = await db.query<{ email: string }>('SELECT email FROM users WHERE email = ANY($1)', [
        acknowledged,
      ]);
      expect(stored.rows.map((row) => row.email).sort()).toEqual([...acknowledged].sort());
    }, 60_000);
  });
}
