/**
 * The floor a Gatehouse route is measured against: bare Fastify (no Nest, no guards, no logging, no metrics) on
 * 127.0.0.1. A child of the driver, as the app is, so both pay the same process and loopback costs. Sends
 * `{ ready, port }` once it listens.
 *
 * - `GET /floor` answers the same small JSON as `GET /api/bench/public`.
 * - `POST /api/auth/refresh` (when DATABASE_URL is set) is the least a rotating refresh can do: read the cookie,
 *   verify the token with the app's own TokenSigner, send the app's one rotation statement with bare `pg` (named,
 *   the same 14 parameters, built by the same function, a pool of the app's size), sign the access token and the child, and answer with the
 *   same body and cookie. No guard, no throttle, no origin check, no DPoP, no metrics, no error mapping: what is
 *   left is what the framework and the app add.
 */
import { loadConfig } from '@gatehouse/config';
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { KeyService } from '../libs/auth/src/keys/key.service';
import { REFRESH_COOKIE_PATH } from '../libs/auth/src/cookies/refresh-cookie';
import {
  oneStatementParams,
  ROTATE_IN_ONE_STATEMENT,
  RotatedRow,
} from '../libs/auth/src/tokens/rotation-statements';
import { TokenSigner } from '../libs/auth/src/tokens/token-signer';

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

async function main(): Promise<void> {
  const app = Fastify({ logger: false });
  app.get('/floor', () => ({ ok: true }));
  const pool = process.env.DATABASE_URL
    ? new Pool({ connectionString: process.env.DATABASE_URL, max: 20 })
    : undefined;
  if (pool) {
    const config = loadConfig(process.env);
    const signer = new TokenSigner(config, new KeyService(config));
    const { tokens, cookie } = config;
    const attributes = `Path=${REFRESH_COOKIE_PATH}; HttpOnly;${cookie.secure ? ' Secure;' : ''} SameSite=${cookie.sameSite}`;
    app.post('/api/auth/refresh', async (request, reply) => {
      const presented = cookieValue(request.headers.cookie, cookie.name);
      const claims = presented === undefined ? undefined : signer.verifyRefreshToken(presented);
      if (!claims) return reply.code(401).send({ statusCode: 401 });
      const issuedAt = Math.floor(Date.now() / 1000);
      const expiresAt = issuedAt + tokens.refreshTtl;
      const tokenId = randomUUID();
      const child = signer.signRefreshToken({ ...claims, tokenId, issuedAt, expiresAt });
      const { rows } = await pool.query<RotatedRow>({
        name: ROTATE_IN_ONE_STATEMENT.name,
        text: ROTATE_IN_ONE_STATEMENT.text,
        values: oneStatementParams({
          presented: claims,
          child: { tokenId, token: child, issuedAt, expiresAt },
          requireVerification: config.recovery.requireVerification,
          sessionMaxAge: tokens.sessionMaxAge,
          client: { userAgent: request.headers['user-agent'], ip: request.ip },
          organization: undefined,
        }),
      });
      const [row] = rows;
      if (!row) return reply.code(401).send({ statusCode: 401 });
      const user = row.user_row as { id: string; email: string; roles: string[] };
      const accessToken = signer.signAccessToken(user, claims.sessionId, {
        amr: row.amr,
        authTime: new Date(row.auth_time),
        ...(row.org_id && row.org_role ? { org: { id: row.org_id, role: row.org_role } } : {}),
      });
      void reply.header('set-cookie', `${cookie.name}=${child}; Max-Age=${tokens.refreshTtl}; ${attributes}`);
      return {
        accessToken,
        tokenType: 'Bearer',
        expiresIn: tokens.accessTtl,
        user: { id: user.id, email: user.email, roles: user.roles },
      };
    });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.send!({ ready: true, port });
  process.on(
    'disconnect',
    () =>
      void app
        .close()
        .then(() => pool?.end())
        .then(() => process.exit(0)),
  );
}

void main();
