// A real PostgreSQL server restart (`pg_ctlcluster … restart -m fast`) while two instances serve load, on a cluster
// made for this suite (so that the suites running beside it keep their server). On PGlite
// there is no server to restart: test/outage.e2e-spec.ts covers the embedded database closing under the app. Without
// a server, this file checks only that the embedded database comes back with its process.
import { Response } from 'supertest';
import { login, LoggedIn, me, refresh, signUp } from './support/auth-client';
import { serverUrl } from './support/databases';
import {
  acceptsConnections,
  controlCluster,
  createThrowawayCluster,
  ensureRunning,
  ThrowawayCluster,
  waitUntilAccepting,
} from './support/postgres-cluster';
import { LoadSample, SessionLoad } from './support/session-load';
import { TestApp } from './support/test-app';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// No request may wait longer than this for an answer, outage or not (the pool's connect timeout is 5 s).
const REQUEST_BOUND_MS = 8000;
// Once the server accepts connections again, each instance refreshes and is ready within this.
const RECOVERY_MS = 5000;
// The contract: a revocation on one instance stops that session's access tokens on every other within 2 s.
const PROPAGATION_MS = 2000;
const CLIENTS_PER_INSTANCE = 3;
const STEADY_LOAD_MS = 1000;
// Long enough for the LISTEN connection's retries to have backed off to seconds apart.
const LONG_OUTAGE_MS = 4000;

/** What happened around the restart, gathered once and examined by the tests below. */
interface RestartRun {
  samples: LoadSample[];
  restartBegan: number;
  /** When a connection to the server was first refused. */
  downAt?: number;
  /** When the server took a connection again. */
  acceptingAt: number;
  /** Per instance: the first refresh that succeeded after the server was back, sent this long after. */
  refreshedAfterMs: Record<string, number>;
  readyAfterMs: Record<string, number>;
  /** How many answers, of the load and of the readiness probes, were 503: the outage as the clients saw it. */
  unavailableAnswers: number;
  /** What A answered to logout-all from the moment it saw the outage until it succeeded. */
  logoutAllStatuses: number[];
  /** B's answers to the revoked access token, and when the last was sent after logout-all's 204. */
  refusal: { statuses: number[]; sentAfterMs: number };
}

/**
 * Repeats `send` every `everyMs` until it answers `status`, `deadlineMs` passes or `givenUp()` says waiting no longer
 * makes sense: every answer in order, and when the last request was sent and answered.
 */
async function until(
  send: () => PromiseLike<Response>,
  status: number,
  deadlineMs: number,
  everyMs = 50,
  givenUp = () => false,
): Promise<{ statuses: number[]; sentAt: number; answeredAt: number }> {
  const statuses: number[] = [];
  const end = Date.now() + deadlineMs;
  for (;;) {
    const sentAt = Date.now();
    const response = await send();
    statuses.push(response.status);
    if (response.status === status || Date.now() > end || givenUp())
      return { statuses, sentAt, answeredAt: Date.now() };
    await sleep(everyMs);
  }
}

/**
 * When the server was first seen refusing a connection (undefined if never, within 30 s), and when it took one again
 * after that (pg_ctlcluster returns some time later).
 */
async function backAfterOutage(url: string): Promise<{ downAt?: number; acceptingAt: number }> {
  const end = Date.now() + 30_000;
  let downAt: number | undefined;
  while (Date.now() < end && downAt === undefined) {
    if (!(await acceptsConnections(url))) downAt = Date.now();
    else await sleep(20);
  }
  await waitUntilAccepting(url);
  return { downAt, acceptingAt: Date.now() };
}

function describeSample(sample: LoadSample): string {
  return `${sample.instance} ${sample.route} → ${sample.status} in ${sample.ms} ms`;
}

if (!serverUrl) {
  process.stderr.write('TEST_DATABASE_URL is not set: the PostgreSQL server restart suite does not run\n');

  describe('the embedded database restarted with its process [PGlite]', () => {
    let app: TestApp;

    beforeAll(async () => {
      app = await TestApp.start('pglite');
    });
    afterAll(async () => {
      await app.stop();
    });

    it('keeps sessions and revocations: the same cookie refreshes, a logged-out session stays refused', async () => {
      const kept = await signUp(app);
      const ended = await login(app, kept.email);
      await app.http().post('/api/auth/logout').set('Cookie', ended.cookie).expect(204);

      await app.restart();

      const refreshed = await refresh(app, kept.cookie);
      expect(refreshed.status).toBe(200);
      await me(app, refreshed.body.accessToken).expect(200);
      await me(app, ended.accessToken).expect(401);
      await refresh(app, ended.cookie).expect(401);
    }, 60_000);
  });
} else {
  describe('a PostgreSQL server restart under load, two instances [PostgreSQL]', () => {
    let cluster: ThrowawayCluster | undefined;
    let server: string;
    let a: TestApp;
    let b: TestApp;
    let load: SessionLoad | undefined;
    let run: RestartRun;

    /** Both instances' LISTEN connections, found by application name. */
    const listeners = () =>
      a.query<{ pid: number; backend_start: Date }>(
        `SELECT pid, backend_start FROM pg_stat_activity
          WHERE application_name = 'gatehouse-listener' AND datname = current_database()`,
      );

    beforeAll(async () => {
      cluster = await createThrowawayCluster();
      server = cluster.url;
      a = await TestApp.start('postgres', { serverUrl: server });
      b = await TestApp.startPeer(a);

      const clients: { instance: string; app: TestApp; session: LoggedIn }[] = [];
      for (const [instance, app] of [
        ['A', a],
        ['B', b],
      ] as const) {
        for (let i = 0; i < CLIENTS_PER_INSTANCE; i++)
          clients.push({ instance, app, session: await signUp(app) });
      }
      const revoked = await signUp(a);
      await me(b, revoked.accessToken).expect(200);

      load = new SessionLoad(clients, REQUEST_BOUND_MS);
      load.start();
      await sleep(STEADY_LOAD_MS);

      const restartBegan = Date.now();
      const restarted = controlCluster(cluster, 'restart');
      const accepting = backAfterOutage(server);
      // A restart can be over before an instance's probe or A's first request notices it: nobody waits for a 503
      // once the server is back.
      let back = false;
      void accepting.then(() => (back = true));
      const isBack = () => back;
      // Each instance's readiness, watched throughout: when it answers 200 again after its 503s.
      const readiness = Promise.all(
        (
          [
            ['A', a],
            ['B', b],
          ] as const
        ).map(async ([instance, app]) => {
          const down = await until(() => app.http().get('/api/health/ready'), 503, 20_000, 20, isBack);
          const ready = await until(() => app.http().get('/api/health/ready'), 200, 20_000, 50);
          const unavailable = [...down.statuses, ...ready.statuses].filter((status) => status === 503).length;
          return [instance, ready.answeredAt, unavailable] as const;
        }),
      );
      // As soon as A answers again: logout-all, first tried once A itself has seen the database go; then how soon
      // B refuses the session's access token.
      const revocation = (async () => {
        await until(() => a.http().get('/api/health/ready'), 503, 20_000, 20, isBack);
        const logoutAll = await until(
          () => a.http().post('/api/auth/logout-all').set('Authorization', `Bearer ${revoked.accessToken}`),
          204,
          20_000,
        );
        const refusal = await until(() => me(b, revoked.accessToken), 401, PROPAGATION_MS + 1000, 100);
        return { logoutAll, refusal };
      })();
      await restarted;
      const { downAt, acceptingAt } = await accepting;
      const { logoutAll, refusal } = await revocation;

      const readyAfterMs: Record<string, number> = {};
      let unavailableProbes = 0;
      for (const [instance, readyAt, unavailable] of await readiness) {
        readyAfterMs[instance] = readyAt - acceptingAt;
        unavailableProbes += unavailable;
      }
      // Every client back to refreshing, then a little more load on the recovered server.
      const allBack = Date.now() + RECOVERY_MS * 2;
      const refreshedSince = () =>
        load!.samples.filter((s) => s.route === 'refresh' && s.status === 200 && s.sentAt >= acceptingAt);
      while (new Set(refreshedSince().map((s) => s.client)).size < clients.length && Date.now() < allBack) {
        await sleep(100);
      }
      await sleep(500);
      await load.stop();

      const refreshedAfterMs: Record<string, number> = {};
      for (const sample of refreshedSince()) {
        refreshedAfterMs[sample.instance] ??= sample.sentAt - acceptingAt;
      }
      run = {
        samples: load.samples,
        restartBegan,
        downAt,
        acceptingAt,
        refreshedAfterMs,
        readyAfterMs,
        unavailableAnswers: load.samples.filter((s) => s.status === 503).length + unavailableProbes,
        logoutAllStatuses: logoutAll.statuses,
        refusal: { statuses: refusal.statuses, sentAfterMs: refusal.sentAt - logoutAll.answeredAt },
      };
      const unavailable = run.samples.filter((s) => s.status === 503);
      process.stderr.write(
        `PostgreSQL ${cluster.version}/${cluster.name} restarted in ${acceptingAt - restartBegan} ms under load: ` +
          `${run.samples.length} requests, ${unavailable.length} answered 503 ` +
          `(${run.unavailableAnswers} with the readiness probes), ` +
          `slowest ${Math.max(...run.samples.map((s) => s.ms))} ms; refreshing again after ` +
          `${JSON.stringify(run.refreshedAfterMs)} ms, ready after ${JSON.stringify(run.readyAfterMs)} ms; ` +
          `logout-all on A refused on B ${run.refusal.sentAfterMs} ms later\n`,
      );
    }, 90_000);

    afterAll(async () => {
      await load?.stop();
      // Whatever failed above, the apps close on a running server, and their database is dropped.
      if (cluster) await ensureRunning(server, cluster);
      await b?.stop();
      await a?.stop();
      await cluster?.drop();
    }, 60_000);

    it('answers every request during the restart with 200 or 503, none of them slower than the bound', () => {
      const others = run.samples.filter((s) => s.status !== 200 && s.status !== 503);
      expect(others.map(describeSample)).toEqual([]);
      const slow = run.samples.filter((s) => s.ms >= REQUEST_BOUND_MS);
      expect(slow.map(describeSample)).toEqual([]);
      // The server was seen down: otherwise the rest proves nothing. How many requests fall into a restart of a
      // second is chance (most wait for it), so the longer outage below holds each instance and route to its 503.
      expect(run.downAt).toBeGreaterThanOrEqual(run.restartBegan);
    });

    it('answers refresh 503 without any Set-Cookie, and the cookie kept then refreshes once the server is back', () => {
      const refreshes = run.samples.filter((s) => s.route === 'refresh');
      const withCookie = refreshes.filter((s) => s.status === 503 && s.setsCookie);
      expect(withCookie.map(describeSample)).toEqual([]);
      for (const client of new Set(refreshes.map((s) => s.client))) {
        const own = refreshes.filter((s) => s.client === client);
        const lastRefused = own.filter((s) => s.status === 503).at(-1);
        if (!lastRefused) continue;
        const next = own.find((s) => s.sentAt > lastRefused.sentAt);
        expect(next).toMatchObject({ status: 200, cookieGeneration: lastRefused.cookieGeneration });
      }
    });

    it('refreshes and is ready again on both instances within seconds of the server accepting connections', () => {
      for (const instance of ['A', 'B']) {
        expect(run.refreshedAfterMs[instance]).toBeLessThanOrEqual(RECOVERY_MS);
        expect(run.readyAfterMs[instance]).toBeLessThanOrEqual(RECOVERY_MS);
      }
    });

    it('applies on B, within 2 s, a logout-all made on A the moment A answers again', () => {
      // A said 503 while the database was away, never 500, and then revoked.
      expect(run.logoutAllStatuses.at(-1)).toBe(204);
      expect(run.logoutAllStatuses.filter((status) => status !== 503 && status !== 204)).toEqual([]);
      // B may answer 503 while its own pool reconnects, but refuses the token within 2 s.
      expect(run.refusal.statuses.at(-1)).toBe(401);
      expect(run.refusal.statuses.filter((status) => ![200, 503, 401].includes(status))).toEqual([]);
      expect(run.refusal.sentAfterMs).toBeLessThanOrEqual(PROPAGATION_MS);
    });

    it('listens again on both instances, and B hears of a revocation on A within 2 s', async () => {
      let rows = await listeners();
      const deadline = Date.now() + 10_000;
      while (rows.length < 2 && Date.now() < deadline) {
        await sleep(100);
        rows = await listeners();
      }
      expect(rows).toHaveLength(2);
      // All of them opened after the restart.
      for (const row of rows) expect(row.backend_start.getTime()).toBeGreaterThan(run.restartBegan - 1000);

      const session = await signUp(a);
      await me(b, session.accessToken).expect(200);
      await a.http().post('/api/auth/logout').set('Cookie', session.cookie).expect(204);
      const since = Date.now();
      const refusal = await until(() => me(b, session.accessToken), 401, PROPAGATION_MS, 100);
      expect(refusal.statuses.at(-1)).toBe(401);
      expect(refusal.sentAt - since).toBeLessThanOrEqual(PROPAGATION_MS);
    }, 30_000);

    it('after a longer outage, answered 503 on both instances, applies on B within 2 s a revocation made on A', async () => {
      const session = await signUp(a);
      const onB = await signUp(b);
      await me(b, session.accessToken).expect(200);
      await controlCluster(cluster!, 'stop');
      // While the server is away, both instances answer both routes 503, and a refresh keeps its cookie.
      const outageStarted = Date.now();
      for (const [app, client] of [
        [a, session],
        [b, onB],
      ] as const) {
        const refused = await refresh(app, client.cookie);
        expect({ status: refused.status, setCookie: refused.headers['set-cookie'] }).toEqual({
          status: 503,
          setCookie: undefined,
        });
        await me(app, client.accessToken).expect(503);
      }
      await sleep(Math.max(0, LONG_OUTAGE_MS - (Date.now() - outageStarted)));
      const started = controlCluster(cluster!, 'start').catch((error: unknown) => error);
      // When both instances listen again, watched from the start on (A's own queries fail until the server is up).
      const listening = (async () => {
        const end = Date.now() + 20_000;
        while ((await listeners().catch(() => [])).length < 2 && Date.now() < end) await sleep(50);
        return Date.now();
      })();
      // Tried on A from the start on, so the logout lands as soon as A can write again.
      const [acceptingAt, logout] = await Promise.all([
        waitUntilAccepting(server).then(() => Date.now()),
        until(() => a.http().post('/api/auth/logout').set('Cookie', session.cookie), 204, RECOVERY_MS * 2),
      ]);
      expect(logout.statuses.filter((status) => status !== 503 && status !== 204)).toEqual([]);
      expect(logout.statuses.at(-1)).toBe(204);
      const refusal = await until(() => me(b, session.accessToken), 401, PROPAGATION_MS + 3000, 100);
      expect(refusal.statuses.at(-1)).toBe(401);
      expect(refusal.sentAt - logout.answeredAt).toBeLessThanOrEqual(PROPAGATION_MS);
      expect(await started).toBeUndefined();

      // The mechanism: both instances listen again within a second or so of the server coming back.
      const listeningAfterMs = (await listening) - acceptingAt;
      expect(await listeners()).toHaveLength(2);
      expect(listeningAfterMs).toBeLessThanOrEqual(PROPAGATION_MS);
      process.stderr.write(
        `longer outage: refused on B ${refusal.sentAt - logout.answeredAt} ms after logout, listening ${listeningAfterMs} ms after the server was back\n`,
      );
    }, 40_000);
  });
}
