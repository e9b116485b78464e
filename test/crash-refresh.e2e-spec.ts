import {
  CRASH_ROUNDS,
  CRASH_SETTINGS,
  CRASH_TEST_TIMEOUT,
  CrashableServer,
} from './support/crashable-server';
import { PASSWORD, decodeJwt, uniqueEmail } from './support/auth-client';
import { describeEachDatabase } from './support/databases';

const CHAINS = 32;
/** Answers to collect before each kill; the kill then lands with up to one request per chain in flight. */
const REFRESHES_BEFORE_KILL = 300;
const SETTINGS = {
  ...CRASH_SETTINGS,
  // The longest window there is, so a restart on this slow machine always fits inside it.
  REFRESH_REUSE_GRACE_SECONDS: '300',
};

/** One client's refresh chain: a session and the cookie of the last 200 it received. */
interface Chain {
  sessionId: string;
  cookie: string;
  /** Every 200 this chain received; each one answered a rotation that the database must still hold. */
  answers: number;
  /** Answers other than 200 before the kill: there must be none. */
  unexpected: number[];
}

interface Figures {
  sent: number;
  answered: number;
  inFlightAtKill: number;
  lostAnswers: number;
  chainsOkAfterRestart: number;
}

function cookieOf(response: Response): string {
  const line = response.headers.getSetCookie().find((cookie) => cookie.startsWith('refresh_token='));
  if (!line) throw new Error(`no refresh cookie in a ${response.status} answer`);
  return line.split(';')[0];
}

function claimsOf(cookie: string): { jti: string; sid: string; iat: number } {
  return decodeJwt(cookie.slice('refresh_token='.length)).payload as {
    jti: string;
    sid: string;
    iat: number;
  };
}

const refresh = (base: string, cookie: string) =>
  fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie } });

async function startChains(base: string, email: string): Promise<Chain[]> {
  const chains: Chain[] = [];
  // A few at a time: every login hashes the password, and this machine is shared.
  for (let i = 0; i < CHAINS; i += 4) {
    const logins = await Promise.all(
      Array.from({ length: Math.min(4, CHAINS - i) }, () =>
        fetch(`${base}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: PASSWORD }),
        }),
      ),
    );
    for (const login of logins) {
      expect(login.status).toBe(200);
      const cookie = cookieOf(login);
      await login.arrayBuffer();
      chains.push({ sessionId: claimsOf(cookie).sid, cookie, answers: 0, unexpected: [] });
    }
  }
  return chains;
}

/**
 * Every chain refreshes back to back, adopting each rotated cookie, until the server dies under it. The server is
 * SIGKILLed once REFRESHES_BEFORE_KILL answers have come back, with requests of most chains in flight.
 */
async function refreshUntilKilled(
  server: CrashableServer,
  chains: Chain[],
  figures: Figures,
): Promise<number> {
  let killedAt = 0;
  let inFlight = 0;
  let killing: Promise<void> | undefined;
  const killAt = figures.answered + REFRESHES_BEFORE_KILL;
  const run = async (chain: Chain) => {
    for (;;) {
      figures.sent++;
      inFlight++;
      let response: Response;
      try {
        response = await refresh(server.baseUrl, chain.cookie);
      } catch {
        // The connection died with the server: the answer, if there was to be one, is lost.
        return;
      } finally {
        inFlight--;
      }
      figures.answered++;
      if (response.status !== 200) {
        chain.unexpected.push(response.status);
        return;
      }
      chain.cookie = cookieOf(response);
      chain.answers++;
      await response.arrayBuffer().catch(() => undefined);
      if (!killing && figures.answered >= killAt) {
        figures.inFlightAtKill += inFlight;
        // Taken once the process is gone: every token it issued was issued before this moment.
        killing = server.kill().then(() => {
          killedAt = Date.now();
        });
      }
      if (killing) return;
    }
  };
  await Promise.all(chains.map(run));
  await killing;
  return killedAt;
}

describeEachDatabase('SIGKILL during concurrent refreshes', (kind) => {
  let server: CrashableServer;

  beforeAll(async () => {
    server = await CrashableServer.create(kind, SETTINGS);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it(
    'keeps one live token per family, and every chain can go on refreshing after the restart',
    async () => {
      await server.start();
      const email = uniqueEmail('crash-refresh');
      const register = await fetch(`${server.baseUrl}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      expect(register.status).toBe(201);
      const chains = await startChains(server.baseUrl, email);
      const figures: Figures = {
        sent: 0,
        answered: 0,
        inFlightAtKill: 0,
        lostAnswers: 0,
        chainsOkAfterRestart: 0,
      };
      /** Per lost answer: the token id the restarted server re-issued, and the token presented. */
      const reissued: { tokenId: string; parentId: string; killedAt: number }[] = [];

      for (let round = 0; round < CRASH_ROUNDS; round++) {
        const answeredBefore = figures.answered;
        const killedAt = await refreshUntilKilled(server, chains, figures);
        for (const chain of chains) expect(chain.unexpected).toEqual([]);
        expect(figures.answered - answeredBefore).toBeGreaterThanOrEqual(REFRESHES_BEFORE_KILL);

        await server.start();
        for (const chain of chains) {
          const presented = claimsOf(chain.cookie);
          const response = await refresh(server.baseUrl, chain.cookie);
          // Whether or not the kill caught a rotation of this cookie, presenting it again is a success: either
          // nothing was committed and it is still the live token, or the rotation committed, its answer was lost,
          // and the cookie is now the live token's immediate parent, well within the grace window.
          expect(response.status).toBe(200);
          const cookie = cookieOf(response);
          await response.arrayBuffer();
          const issued = claimsOf(cookie);
          expect(issued.sid).toBe(chain.sessionId);
          expect(issued.jti).not.toBe(presented.jti);
          // A token issued before the kill can only be the live child whose answer the kill swallowed,
          // re-issued as it was (same id, same issue time), not a new branch.
          if (issued.iat * 1000 <= killedAt) {
            figures.lostAnswers++;
            reissued.push({ tokenId: issued.jti, parentId: presented.jti, killedAt });
          }
          chain.cookie = cookie;
          chain.answers++;

          // And the chain goes on as normal from the cookie it was given.
          const next = await refresh(server.baseUrl, chain.cookie);
          expect(next.status).toBe(200);
          chain.cookie = cookieOf(next);
          await next.arrayBuffer();
          chain.answers++;
          expect(claimsOf(chain.cookie).iat * 1000).toBeGreaterThan(killedAt);
          figures.chainsOkAfterRestart++;
        }
      }
      await server.stop();

      const sessionIds = chains.map((chain) => chain.sessionId);
      await server.readDatabase(async (query) => {
        const families = await query<{ session_id: string; tokens: number; live: number; roots: number }>(
          `SELECT session_id, count(*)::int AS tokens,
                (count(*) FILTER (WHERE rotated_at IS NULL AND expires_at > now()))::int AS live,
                (count(*) FILTER (WHERE parent_id IS NULL))::int AS roots
           FROM refresh_tokens GROUP BY session_id`,
        );
        const bySession = new Map(families.map((family) => [family.session_id, family]));
        for (const family of families) expect(family.live).toBeLessThanOrEqual(1);
        for (const chain of chains) {
          const family = bySession.get(chain.sessionId);
          // One root, and one token per rotation the chain was answered: none lost, none unaccounted for.
          expect(family).toMatchObject({ live: 1, roots: 1, tokens: chain.answers + 1 });
          const [live] = await query<{ id: string }>(
            'SELECT id FROM refresh_tokens WHERE session_id = $1 AND rotated_at IS NULL',
            [chain.sessionId],
          );
          expect(live.id).toBe(claimsOf(chain.cookie).jti);
        }
        // A family is a chain, never a tree: no token was rotated twice.
        expect(
          await query(
            'SELECT parent_id FROM refresh_tokens WHERE parent_id IS NOT NULL GROUP BY parent_id HAVING count(*) > 1',
          ),
        ).toEqual([]);
        for (const { tokenId, parentId, killedAt } of reissued) {
          const [row] = await query<{ parent_id: string; issued_at: Date }>(
            'SELECT parent_id, issued_at FROM refresh_tokens WHERE id = $1',
            [tokenId],
          );
          expect(row.parent_id).toBe(parentId);
          expect(new Date(row.issued_at).getTime()).toBeLessThanOrEqual(killedAt);
        }
        // Nothing half-written: no token without its session, no session without a token, nothing revoked.
        expect(
          await query(
            'SELECT t.id FROM refresh_tokens t LEFT JOIN sessions s ON s.id = t.session_id WHERE s.id IS NULL',
          ),
        ).toEqual([]);
        expect(
          await query(
            'SELECT s.id FROM sessions s WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = s.id)',
          ),
        ).toEqual([]);
        const sessions = await query<{ id: string; revoked_at: Date | null }>(
          'SELECT id, revoked_at FROM sessions',
        );
        expect(sessions.map((session) => session.id).sort()).toEqual([...sessionIds].sort());
        for (const session of sessions) expect(session.revoked_at).toBeNull();
      });
      process.stdout.write(`crash-refresh [${kind}] ${JSON.stringify(figures)}\n`);
    },
    CRASH_TEST_TIMEOUT,
  );
});
