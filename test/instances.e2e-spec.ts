import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Response } from 'supertest';
import { SessionCleaner } from '../libs/auth/src/tokens/session-cleaner';
import {
  decodeJwt,
  HttpTarget,
  LoggedIn,
  login,
  me,
  refresh,
  refreshCookie,
  signUp,
} from './support/auth-client';
import { redisUrl, serverUrl } from './support/databases';
import { TestApp } from './support/test-app';
import { WorkersPeer } from './support/workers-peer';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The contract: a revocation on one instance stops that session's access tokens on every other within 2 s.
const PROPAGATION_MS = 2000;
const POLL_MS = 100;
const CLEANUP_LOCK_KEY = 724190332;
const DAY_MS = 86_400_000;

const sessionId = (accessToken: string) => decodeJwt(accessToken).payload.sid as string;
const bearer = (accessToken: string) => `Bearer ${accessToken}`;

/**
 * Asks `peer` for the current user every 100 ms until the access token is refused or 2 s have passed since
 * `since` (the moment the revocation was answered); returns the last status and when its request was sent.
 */
async function pollUntilRefused(
  peer: HttpTarget,
  accessToken: string,
  since: number,
): Promise<{ status: number; sentAfterMs: number }> {
  for (;;) {
    const sentAfterMs = Date.now() - since;
    const response = await me(peer, accessToken);
    if (response.status !== 200 || sentAfterMs >= PROPAGATION_MS) {
      return { status: response.status, sentAfterMs };
    }
    await sleep(POLL_MS);
  }
}

/** The access token is refused by `peer` within 2 s of `since`. */
async function expectRefusedWithin2s(peer: HttpTarget, accessToken: string, since: number): Promise<void> {
  const { status, sentAfterMs } = await pollUntilRefused(peer, accessToken, since);
  expect(status).toBe(401);
  expect(sentAfterMs).toBeLessThanOrEqual(PROPAGATION_MS);
  // And refused from then on: by every worker, when the peer has several taking turns.
  for (let i = 0; i < 4; i++) await me(peer, accessToken).expect(401);
}

/**
 * What B must see of A's writes, whatever B is: an instance in this process (WORKERS=1), or a server process whose
 * two workers take alternate connections (WORKERS=2). A and B share one PostgreSQL database, without a grace window.
 */
function revocationsAndRacesReachPeer(peers: () => { a: TestApp; b: HttpTarget }): void {
  describe('a revocation on A reaches B within 2 seconds', () => {
    it('logout (cookie) on A stops the session’s access token on B', async () => {
      const { a, b } = peers();
      const session = await signUp(a);
      const bystander = await login(a, session.email);
      await me(b, session.accessToken).expect(200);
      await a.http().post('/api/auth/logout').set('Cookie', session.cookie).expect(204);
      await expectRefusedWithin2s(b, session.accessToken, Date.now());
      // Only that session: the user's other session keeps working on B.
      await me(b, bystander.accessToken).expect(200);
    });

    it('logout-all on A stops every session’s access token on B', async () => {
      const { a, b } = peers();
      const first = await signUp(a);
      const second = await login(b, first.email);
      const other = await signUp(a);
      await me(b, first.accessToken).expect(200);
      await me(b, second.accessToken).expect(200);
      await a
        .http()
        .post('/api/auth/logout-all')
        .set('Authorization', bearer(first.accessToken))
        .set('Cookie', first.cookie)
        .expect(204);
      const since = Date.now();
      await expectRefusedWithin2s(b, first.accessToken, since);
      await expectRefusedWithin2s(b, second.accessToken, since);
      await me(b, other.accessToken).expect(200);
    });

    it('DELETE /api/auth/sessions/:id on A stops that session’s access token on B', async () => {
      const { a, b } = peers();
      const current = await signUp(a);
      const other = await login(a, current.email);
      await me(b, other.accessToken).expect(200);
      await a
        .http()
        .delete(`/api/auth/sessions/${sessionId(other.accessToken)}`)
        .set('Authorization', bearer(current.accessToken))
        .expect(204);
      await expectRefusedWithin2s(b, other.accessToken, Date.now());
      await me(b, current.accessToken).expect(200);
    });

    it('reuse detected on A stops the family’s access token on B', async () => {
      const { a, b } = peers();
      const session = await signUp(a);
      const rotated = await refresh(a, session.cookie);
      expect(rotated.status).toBe(200);
      const accessToken = rotated.body.accessToken as string;
      await me(b, accessToken).expect(200);

      // The parent, presented again after its rotation (no grace window): reuse.
      const replayed = await refresh(a, session.cookie);
      expect(replayed.status).toBe(401);
      await expectRefusedWithin2s(b, accessToken, Date.now());
      await refresh(b, refreshCookie(rotated)!).expect(401);
    });
  });

  describe('concurrent refreshes of one token across A and B', () => {
    it('rotate it once without a grace window: at most one 200, one live token in the family', async () => {
      const { a, b } = peers();
      const session = await signUp(a);
      const responses = await Promise.all(
        Array.from({ length: 12 }, (_, i) => refresh(i % 2 === 0 ? a : b, session.cookie)),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(1);
      expect(statuses.filter((status) => status !== 200 && status !== 401)).toEqual([]);
      const [{ count }] = await a.query<{ count: string }>(
        'SELECT count(*) FROM refresh_tokens WHERE session_id = $1 AND rotated_at IS NULL',
        [sessionId(session.accessToken)],
      );
      expect(Number(count)).toBe(1);
    });
  });
}

if (!serverUrl) {
  process.stderr.write(
    'TEST_DATABASE_URL is not set: the several-instances suite runs its single-process check on PGlite only\n',
  );

  describe('one instance on the embedded database [PGlite]', () => {
    let app: TestApp;

    beforeAll(async () => {
      app = await TestApp.start('pglite');
    });
    afterAll(async () => {
      await app.stop();
    });

    it('applies a revocation at once in the one process: logout-all refuses the access token', async () => {
      const session = await signUp(app);
      await me(app, session.accessToken).expect(200);
      await app
        .http()
        .post('/api/auth/logout-all')
        .set('Authorization', bearer(session.accessToken))
        .set('Cookie', session.cookie)
        .expect(204);
      await me(app, session.accessToken).expect(401);
      await refresh(app, session.cookie).expect(401);
    });
  });
} else {
  const server = serverUrl;

  describe('two instances on one PostgreSQL database [PostgreSQL]', () => {
    let a: TestApp;
    let b: TestApp;

    beforeAll(async () => {
      a = await TestApp.start('postgres', { env: { REFRESH_REUSE_GRACE_SECONDS: '0' } });
      b = await TestApp.startPeer(a, { env: { REFRESH_REUSE_GRACE_SECONDS: '0' } });
    }, 120_000);
    afterAll(async () => {
      await b?.stop();
      await a?.stop();
    });

    describe('tokens', () => {
      it('accepts on B an access token issued by A, and on A one issued by B', async () => {
        const fromA = await signUp(a);
        const onB = await me(b, fromA.accessToken);
        expect(onB.status).toBe(200);
        expect(onB.body).toMatchObject({ id: fromA.userId, email: fromA.email });

        const fromB = await signUp(b);
        const onA = await me(a, fromB.accessToken);
        expect(onA.status).toBe(200);
        expect(onA.body).toMatchObject({ id: fromB.userId, email: fromB.email });
      });

      it('refreshes on B a cookie issued by A', async () => {
        const session = await signUp(a);
        const refreshed = await refresh(b, session.cookie);
        expect(refreshed.status).toBe(200);
        expect(sessionId(refreshed.body.accessToken)).toBe(sessionId(session.accessToken));
        await me(a, refreshed.body.accessToken).expect(200);
      });
    });

    revocationsAndRacesReachPeer(() => ({ a, b }));

    describe('the LISTEN connection', () => {
      it('comes back after being killed, and B again hears of revocations within 2 seconds', async () => {
        // By application name, not by last query: the connection's liveness probe (`SELECT 1`) replaces it.
        const listeners = () =>
          a.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity
              WHERE application_name = 'gatehouse-listener' AND datname = current_database()`,
          );
        const before = (await listeners()).map((row) => row.pid);
        expect(before.length).toBeGreaterThanOrEqual(2);

        const killed = await a.query<{ terminated: boolean }>(
          `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
            WHERE application_name = 'gatehouse-listener' AND datname = current_database()`,
        );
        expect(killed.length).toBeGreaterThanOrEqual(2);
        expect(killed.every((row) => row.terminated)).toBe(true);

        // Both instances listen again on new connections (bounded wait).
        let fresh: number[] = [];
        const deadline = Date.now() + 5000;
        while (Date.now() < deadline) {
          fresh = (await listeners()).map((row) => row.pid).filter((pid) => !before.includes(pid));
          if (fresh.length >= 2) break;
          await sleep(100);
        }
        expect(fresh.length).toBeGreaterThanOrEqual(2);

        const session = await signUp(a);
        await me(b, session.accessToken).expect(200);
        await a.http().post('/api/auth/logout').set('Cookie', session.cookie).expect(204);
        await expectRefusedWithin2s(b, session.accessToken, Date.now());
      });
    });

    describe('a revocation made while B is stopped', () => {
      it('is known to B as soon as it has restarted', async () => {
        const revoked = await signUp(a);
        const kept = await login(a, revoked.email);
        await me(b, revoked.accessToken).expect(200);

        await b.app.close();
        await a.http().post('/api/auth/logout').set('Cookie', revoked.cookie).expect(204);
        await b.restart();

        await me(b, revoked.accessToken).expect(401);
        await refresh(b, revoked.cookie).expect(401);
        await me(b, kept.accessToken).expect(200);
      });
    });

    describe('periodic clean-up', () => {
      async function liveToken(session: LoggedIn): Promise<string> {
        const rows = await a.query<{ id: string }>(
          'SELECT id FROM refresh_tokens WHERE session_id = $1 AND rotated_at IS NULL',
          [sessionId(session.accessToken)],
        );
        expect(rows).toHaveLength(1);
        return rows[0].id;
      }

      /** An old, rotated refresh token of the session's family, long expired. */
      async function insertExpiredToken(session: LoggedIn): Promise<string> {
        const id = randomUUID();
        const now = Date.now();
        await a.query(
          `INSERT INTO refresh_tokens (id, session_id, parent_id, hash, issued_at, expires_at, rotated_at)
           VALUES ($1, $2, NULL, $3, $4, $5, $6)`,
          [
            id,
            sessionId(session.accessToken),
            '0'.repeat(64),
            new Date(now - 40 * DAY_MS),
            new Date(now - 10 * DAY_MS),
            new Date(now - 39 * DAY_MS),
          ],
        );
        return id;
      }

      /** A session of the user revoked 60 days ago (past the default 30-day retention). */
      async function insertLongRevokedSession(userId: string): Promise<string> {
        const id = randomUUID();
        const now = Date.now();
        await a.query(
          `INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, revoked_at, revoked_reason)
           VALUES ($1, $2, $3, $4, $5, $6, 'logout')`,
          [
            id,
            userId,
            new Date(now - 90 * DAY_MS),
            new Date(now - 61 * DAY_MS),
            new Date(now + 20 * DAY_MS),
            new Date(now - 60 * DAY_MS),
          ],
        );
        return id;
      }

      const tokenExists = async (id: string) =>
        (await a.query('SELECT 1 FROM refresh_tokens WHERE id = $1', [id])).length === 1;
      const sessionExists = async (id: string) =>
        (await a.query('SELECT 1 FROM sessions WHERE id = $1', [id])).length === 1;

      it('purges expired tokens and long-dead sessions, and keeps live and recently ended ones', async () => {
        const live = await signUp(a);
        const recentlyEnded = await login(a, live.email);
        await a.http().post('/api/auth/logout').set('Cookie', recentlyEnded.cookie).expect(204);
        const liveTokenId = await liveToken(live);
        const expiredTokenId = await insertExpiredToken(live);
        const oldSessionId = await insertLongRevokedSession(live.userId);
        await a.query(
          `INSERT INTO oauth_transactions (provider, state, code_verifier, return_to, expires_at)
           VALUES ('corp', 's', 'v', '/', now() - interval '1 minute'), ('corp', 't', 'w', '/', now() + interval '5 minutes')`,
        );
        await a.query(
          `INSERT INTO email_tokens (user_id, purpose, token_hash, email, expires_at)
           VALUES ($1, 'password_reset', repeat('e', 64), 'old@example.com', now() - interval '1 minute')`,
          [live.userId],
        );
        const liveLinks = await a.query('SELECT id FROM email_tokens WHERE expires_at > now()');
        // An organization's expired invitation, and membership changes: one a day old, one recent.
        const [org] = await a.query<{ id: string }>(
          `INSERT INTO organizations (name) VALUES ('o') RETURNING id`,
        );
        await a.query(
          `INSERT INTO org_invitations (organization_id, email, role, token_hash, expires_at)
           VALUES ($1, 'gone@example.com', 'member', repeat('f', 64), now() - interval '1 minute'),
                  ($1, 'kept@example.com', 'member', repeat('d', 64), now() + interval '1 day')`,
          [org.id],
        );
        await a.query(
          `INSERT INTO org_membership_changes (organization_id, user_id, role, changed_at)
           VALUES ($1, $2, NULL, now() - interval '25 hours'), ($1, $2, 'admin', now())`,
          [org.id, live.userId],
        );

        const result = await a.app.get(SessionCleaner).runOnce();

        expect(result).toEqual({
          ran: true,
          refreshTokens: 1,
          sessions: 1,
          oneTimeRecords: 4,
          auditEvents: 0,
        });
        expect(await a.query('SELECT email FROM org_invitations')).toEqual([{ email: 'kept@example.com' }]);
        expect(await a.query('SELECT role FROM org_membership_changes')).toEqual([{ role: 'admin' }]);
        expect(await a.query('SELECT state FROM oauth_transactions')).toEqual([{ state: 't' }]);
        expect(await a.query('SELECT id FROM email_tokens')).toEqual(liveLinks);
        expect(await tokenExists(expiredTokenId)).toBe(false);
        expect(await sessionExists(oldSessionId)).toBe(false);
        expect(await sessionExists(sessionId(live.accessToken))).toBe(true);
        expect(await tokenExists(liveTokenId)).toBe(true);
        // A session revoked just now is kept: revocations are rebuilt from those rows.
        expect(await sessionExists(sessionId(recentlyEnded.accessToken))).toBe(true);
        await me(b, recentlyEnded.accessToken).expect(401);

        const refreshed = await refresh(b, live.cookie);
        expect(refreshed.status).toBe(200);
        await me(a, refreshed.body.accessToken).expect(200);
      });

      it('skips on every instance while another holder has the lock, and runs once it is released', async () => {
        const live = await signUp(a);
        const expiredTokenId = await insertExpiredToken(live);
        const [{ db }] = await a.query<{ db: string }>('SELECT current_database() AS db');
        const url = new URL(server);
        url.pathname = `/${db}`;
        const holder = new Client({ connectionString: url.toString() });
        await holder.connect();
        try {
          await holder.query('SELECT pg_advisory_lock($1)', [CLEANUP_LOCK_KEY]);

          const onA = await a.app.get(SessionCleaner).runOnce();
          const onB = await b.app.get(SessionCleaner).runOnce();
          expect(onA).toEqual({
            ran: false,
            refreshTokens: 0,
            sessions: 0,
            oneTimeRecords: 0,
            auditEvents: 0,
          });
          expect(onB).toEqual({
            ran: false,
            refreshTokens: 0,
            sessions: 0,
            oneTimeRecords: 0,
            auditEvents: 0,
          });
          expect(await tokenExists(expiredTokenId)).toBe(true);

          const [{ unlocked }] = (
            await holder.query<{ unlocked: boolean }>('SELECT pg_advisory_unlock($1) AS unlocked', [
              CLEANUP_LOCK_KEY,
            ])
          ).rows;
          expect(unlocked).toBe(true);
        } finally {
          await holder.end();
        }

        const afterRelease = await b.app.get(SessionCleaner).runOnce();
        expect(afterRelease).toMatchObject({ ran: true, refreshTokens: 1 });
        expect(await tokenExists(expiredTokenId)).toBe(false);
        await refresh(a, live.cookie).expect(200);
      });
    });
  });

  describe('two instances with the default grace window [PostgreSQL]', () => {
    let a: TestApp;
    let b: TestApp;

    beforeAll(async () => {
      a = await TestApp.start('postgres');
      b = await TestApp.startPeer(a);
    }, 120_000);
    afterAll(async () => {
      await b?.stop();
      await a?.stop();
    });

    it('answers twelve concurrent refreshes of one token, split across A and B, with one new token', async () => {
      const session = await signUp(a);
      const responses: Response[] = await Promise.all(
        Array.from({ length: 12 }, (_, i) => refresh(i % 2 === 0 ? a : b, session.cookie)),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(12).fill(200));
      const cookies = responses.map((response) => refreshCookie(response));
      const tokenIds = new Set(
        cookies.map((cookie) => decodeJwt(cookie!.slice('refresh_token='.length)).payload.jti),
      );
      expect(tokenIds.size).toBe(1);

      const live = await a.query<{ id: string }>(
        'SELECT id FROM refresh_tokens WHERE session_id = $1 AND rotated_at IS NULL',
        [sessionId(session.accessToken)],
      );
      expect(live.map((row) => row.id)).toEqual([...tokenIds]);
      // The family is alive: the one new token refreshes, and every access token handed out works.
      for (const response of responses) await me(b, response.body.accessToken).expect(200);
      await refresh(b, cookies[0]!).expect(200);
    });
  });

  if (!redisUrl) {
    process.stderr.write('TEST_REDIS_URL is not set: instance B is not run with WORKERS=2\n');
  } else {
    const sharedRedisUrl = redisUrl;

    // The same cases with B a server process of two workers (WORKERS=2 needs Redis): each of B's workers is an
    // instance of its own, so a revocation on A must reach both, and a refresh race spans three processes.
    describe('two instances on one PostgreSQL database, B with WORKERS=2 [PostgreSQL]', () => {
      let a: TestApp;
      let b: WorkersPeer;

      beforeAll(async () => {
        a = await TestApp.start('postgres', { env: { REFRESH_REUSE_GRACE_SECONDS: '0' } });
        b = await WorkersPeer.start(a, sharedRedisUrl);
      }, 120_000);
      afterAll(async () => {
        await b?.stop();
        await a?.stop();
      });

      revocationsAndRacesReachPeer(() => ({ a, b }));
    });
  }

  // Its own app, last: Passport's strategies are process-wide, so the newest app's are the ones every app uses.
  describe('a LISTEN connection that dies silently [PostgreSQL]', () => {
    let c: TestApp;

    beforeAll(async () => {
      c = await TestApp.start('postgres', { throughProxy: true });
    });
    afterAll(async () => {
      await c?.stop();
    });

    it('is noticed and replaced within seconds, not after TCP keep-alive’s minutes', async () => {
      const admin = new Client({ connectionString: serverUrl });
      await admin.connect();
      try {
        const database = (await c.query<{ name: string }>('SELECT current_database() AS name'))[0].name;
        const listeners = async () =>
          (
            await admin.query<{ pid: number }>(
              `SELECT pid FROM pg_stat_activity
                WHERE application_name = 'gatehouse-listener' AND datname = $1`,
              [database],
            )
          ).rows.map((row) => row.pid);
        const before = await listeners();
        expect(before).toHaveLength(1);

        // Every connection through the relay now hangs: no error, no close, no answer.
        c.proxy!.freeze();
        let fresh: number[] = [];
        const deadline = Date.now() + 12_000;
        while (Date.now() < deadline && fresh.length === 0) {
          await sleep(250);
          fresh = (await listeners()).filter((pid) => !before.includes(pid));
        }
        expect(fresh).toHaveLength(1);
      } finally {
        await admin.end();
        // The frozen connections would otherwise hold the app's shutdown open.
        await c.proxy!.cut();
      }
    }, 30_000);
  });
}
