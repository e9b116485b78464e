import { createHash, randomUUID } from 'node:crypto';
import { TokenSigner } from '../libs/auth/src/tokens/token-signer';
import { BenchServer } from './bench-server';
import { refreshTokenFrom, REFRESH_COOKIE } from './http';
import { load, LoadResult } from './load';

/** One refresh-token family seen from the client: the cookie its next refresh presents. */
export interface Chain {
  cookie: string;
}

export interface RefreshRun extends LoadResult {
  /** Chains that got anything but 200 with a new cookie: they cannot go on. */
  broken: number;
}

/**
 * `connections` connections refreshing independent chains: each request takes a chain nobody is refreshing,
 * presents its cookie, and the response's cookie is what that chain presents next. A chain is never in flight
 * twice, so every request is a plain rotation (no race, no reuse). Chains cut off in flight when the run stops
 * hold a rotated cookie: use fresh chains for the next run.
 */
export async function refreshLoad(
  server: Pick<BenchServer, 'url'>,
  chains: Chain[],
  connections: number,
  seconds: number,
): Promise<RefreshRun> {
  if (chains.length < connections) throw new Error(`${connections} connections need as many chains`);
  const free = [...chains];
  let broken = 0;
  const result = await load({
    url: `${server.url}/api/auth/refresh`,
    connections,
    pipelining: 1,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/api/auth/refresh',
        setupRequest: (request, context: { chain?: Chain }) => {
          const chain = free.shift();
          context.chain = chain;
          // No free chain (only if many broke): send none, which is answered 401 and counted as such.
          return { ...request, headers: chain ? { cookie: `${REFRESH_COOKIE}=${chain.cookie}` } : {} };
        },
        onResponse: (status, _body, context: { chain?: Chain }, headers) => {
          const chain = context.chain;
          if (!chain) return;
          const setCookie = Object.entries(headers ?? {}).find(
            ([name]) => name.toLowerCase() === 'set-cookie',
          );
          const next = status === 200 ? refreshTokenFrom(setCookie?.[1]) : undefined;
          if (next) {
            chain.cookie = next;
            free.push(chain);
          } else {
            broken++;
          }
        },
      },
    ],
  });
  return { ...result, broken };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * `count` sessions of `userId`, each with one live refresh token signed by the app's own TokenSigner, written
 * with SQL: exactly what a login leaves behind, without paying argon2 for each.
 */
export async function seedChains(
  server: Pick<BenchServer, 'sql'>,
  signer: TokenSigner,
  userId: string,
  count: number,
): Promise<Chain[]> {
  const now = Math.floor(Date.now() / 1000);
  const expires = now + 7 * 86400;
  const sessions: unknown[] = [];
  const tokens: unknown[] = [];
  const sessionRows: string[] = [];
  const tokenRows: string[] = [];
  const chains: Chain[] = [];
  for (let i = 0; i < count; i++) {
    const sessionId = randomUUID();
    const tokenId = randomUUID();
    const token = signer.signRefreshToken({ userId, sessionId, tokenId, issuedAt: now, expiresAt: expires });
    const issuedAt = new Date(now * 1000);
    const expiresAt = new Date(expires * 1000);
    const s = sessions.length;
    sessions.push(sessionId, userId, issuedAt, expiresAt);
    sessionRows.push(`($${s + 1}::uuid, $${s + 2}::uuid, $${s + 3}, $${s + 3}, $${s + 4})`);
    const t = tokens.length;
    tokens.push(tokenId, sessionId, sha256(token), issuedAt, expiresAt);
    tokenRows.push(`($${t + 1}::uuid, $${t + 2}::uuid, $${t + 3}, $${t + 4}, $${t + 5})`);
    chains.push({ cookie: token });
  }
  await server.sql(
    `INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at) VALUES ${sessionRows.join(', ')}`,
    sessions,
  );
  await server.sql(
    `INSERT INTO refresh_tokens (id, session_id, hash, issued_at, expires_at) VALUES ${tokenRows.join(', ')}`,
    tokens,
  );
  return chains;
}

/** A user made with SQL for families seeded with SQL; its password hash is never checked. */
export async function seedUser(server: Pick<BenchServer, 'sql'>, email: string): Promise<string> {
  const [row] = await server.sql<{ id: string }>(
    `INSERT INTO users (email, password_hash) VALUES ($1, $2) RETURNING id`,
    [email, '$argon2id$v=19$m=19456,t=2,p=1$bm90LWEtcmVhbC1zYWx0$bm90LWEtcmVhbC1oYXNoLW5vdC1hLXJlYWwtaGFzaA'],
  );
  return row.id;
}

/**
 * Filler families for the scale scenario: `tokens` more refresh tokens in sessions of `userId`, eight per
 * session (seven rotated, the last live), inserted in bulk with generate_series.
 */
export async function seedFiller(server: BenchServer, userId: string, tokens: number): Promise<void> {
  const perSession = 8;
  const batch = 200_000;
  for (let done = 0; done < tokens; done += batch) {
    const count = Math.min(batch, tokens - done);
    await server.sql(
      `WITH s AS (
         INSERT INTO sessions (user_id, expires_at)
         SELECT $1, now() + interval '7 days' FROM generate_series(1, ceil($2::int / $3::numeric)::int)
         RETURNING id
       ), numbered AS (SELECT id, row_number() OVER () - 1 AS n FROM s)
       INSERT INTO refresh_tokens (id, session_id, parent_id, hash, issued_at, expires_at, rotated_at)
       SELECT gen_random_uuid(), numbered.id, NULL, md5(random()::text) || md5(random()::text),
              now(), now() + interval '7 days', CASE WHEN k < $3 THEN now() END
         FROM numbered, generate_series(1, $3::int) AS k
        WHERE numbered.n * $3 + k <= $2
        ORDER BY numbered.id`, // a session's tokens side by side: a quarter faster than in random order
      [userId, count, perSession],
    );
  }
}
