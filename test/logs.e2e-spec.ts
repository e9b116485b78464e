import { createHash, randomBytes } from 'node:crypto';
import { Response } from 'supertest';
import {
  decodeJwt,
  LoggedIn,
  me,
  PASSWORD,
  refresh,
  refreshCookie,
  uniqueEmail,
} from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { TestApp } from './support/test-app';

const WRONG_PASSWORD = 'a wrong passphrase typed by mistake';
const NEW_PASSWORD = 'the replacement passphrase for the logs flow';

type LogLine = Record<string, unknown>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachDatabase('logs: one line per request, structured security events, no secrets', (kind) => {
  let app: TestApp;
  // Everything the flow below produced, gathered once and asserted on by each test.
  const secrets = new Set<string>();
  const requests: string[] = [];
  const sessions: Record<'main' | 'stolen' | 'other', LoggedIn> = {} as never;
  let userId: string;
  let lines: string[];
  let entries: LogLine[];

  /** Every token a response hands out (body or cookie) is a secret the logs must never show. */
  function collect(response: Response): Response {
    const { method, url } = response.request as unknown as { method: string; url: string };
    requests.push(`${method} ${new URL(url).pathname} ${response.status}`);
    const accessToken = (response.body as { accessToken?: unknown } | undefined)?.accessToken;
    const cookie = refreshCookie(response)?.split('=')[1];
    for (const token of [accessToken, cookie]) {
      if (typeof token !== 'string' || token === '') continue;
      secrets.add(token);
      secrets.add(token.split('.')[2]);
    }
    // The device cookie a sign-in sets: it names the browser, and no log line may either.
    const device = refreshCookie(response, 'gh_device')?.split('=')[1];
    if (device) secrets.add(device);
    return response;
  }

  async function logIn(email: string, password: string): Promise<LoggedIn> {
    const response = collect(await app.http().post('/api/auth/login').send({ email, password }));
    expect(response.status).toBe(200);
    return {
      email,
      userId: response.body.user.id,
      accessToken: response.body.accessToken,
      cookie: refreshCookie(response)!,
      response,
    };
  }

  async function rotate(cookie: string, status = 200): Promise<Response> {
    const response = collect(await refresh(app, cookie));
    expect(response.status).toBe(status);
    return response;
  }

  beforeAll(async () => {
    app = await TestApp.start(kind, {
      env: { REFRESH_REUSE_GRACE_SECONDS: '1', THROTTLE_LOGIN_LIMIT: '1000' },
    });
    const email = uniqueEmail('logs');
    for (const password of [PASSWORD, WRONG_PASSWORD, NEW_PASSWORD]) secrets.add(password);

    const registered = collect(
      await app.http().post('/api/auth/register').send({ email, password: PASSWORD }),
    );
    expect(registered.status).toBe(201);
    userId = registered.body.id;
    const failed = collect(
      await app.http().post('/api/auth/login').send({ email, password: WRONG_PASSWORD }),
    );
    expect(failed.status).toBe(401);

    // The main session: /me, a rotation, then the parent again at once: a benign race.
    sessions.main = await logIn(email, PASSWORD);
    expect(collect(await me(app, sessions.main.accessToken)).status).toBe(200);
    const rotated = await rotate(sessions.main.cookie);
    await rotate(sessions.main.cookie);
    sessions.main = {
      ...sessions.main,
      accessToken: rotated.body.accessToken,
      cookie: refreshCookie(rotated)!,
    };

    // A second family: rotated, then its parent replayed after the window: reuse.
    sessions.stolen = await logIn(email, PASSWORD);
    await rotate(sessions.stolen.cookie);
    await sleep(1100);
    await rotate(sessions.stolen.cookie, 401);

    // A third session, ended by the password change; then logout-all ends the main one.
    sessions.other = await logIn(email, PASSWORD);
    const changed = collect(
      await app
        .http()
        .post('/api/auth/password')
        .set('Authorization', `Bearer ${sessions.main.accessToken}`)
        .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
    );
    expect(changed.status).toBe(204);
    const loggedOut = collect(
      await app
        .http()
        .post('/api/auth/logout-all')
        .set('Authorization', `Bearer ${sessions.main.accessToken}`)
        .set('Cookie', sessions.main.cookie),
    );
    expect(loggedOut.status).toBe(204);

    // A service client's secret, by HTTP Basic and in the form, right and wrong, and the tokens it is given.
    const clientId = 'gcl_bG9ncy1zdWl0ZS1jbGllbnQ';
    const clientSecret = randomBytes(32).toString('base64url');
    const wrongSecret = randomBytes(32).toString('base64url');
    secrets.add(clientSecret).add(wrongSecret);
    await app.query(
      `INSERT INTO service_clients (client_id, name, secret_hash, scopes) VALUES ($1, 'logs', $2, $3)`,
      [clientId, createHash('sha256').update(clientSecret).digest(), ['notes:read']],
    );
    const basicOf = (secret: string) => `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
    for (const [authorization, form, status] of [
      [basicOf(clientSecret), 'grant_type=client_credentials', 200],
      [basicOf(wrongSecret), 'grant_type=client_credentials', 401],
      [undefined, `grant_type=client_credentials&client_id=${clientId}&client_secret=${clientSecret}`, 200],
      [undefined, `grant_type=client_credentials&client_id=${clientId}&client_secret=${wrongSecret}`, 401],
    ] as const) {
      const request = app
        .http()
        .post('/api/oauth/token')
        .set('Content-Type', 'application/x-www-form-urlencoded');
      if (authorization) request.set('Authorization', authorization);
      const response = collect(await request.send(form));
      expect(response.status).toBe(status);
      const token = (response.body as { access_token?: string }).access_token;
      if (token) secrets.add(token).add(token.split('.')[2]);
    }
    // Let the last request's log line be written.
    await sleep(50);

    lines = [...app.logs.lines];
    entries = lines.map((line) => JSON.parse(line) as LogLine);
  }, 60_000);
  afterAll(async () => {
    await app.stop();
  });

  const sid = (session: LoggedIn) => decodeJwt(session.accessToken).payload.sid as string;
  const events = (name: string) => entries.filter((entry) => entry.securityEvent === name);
  /** The session ids an event names, whether one (`sessionId`) or several (`sessionIds`). */
  const sessionIdsOf = (entry: LogLine): string[] =>
    typeof entry.sessionId === 'string'
      ? [entry.sessionId]
      : ((entry.sessionIds as string[] | undefined) ?? []);

  it('writes every line as JSON', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('never writes a password, a token, a token signature or a cookie value', () => {
    expect(secrets.size).toBeGreaterThan(10);
    for (const secret of secrets) {
      const leaking = lines.filter((line) => line.includes(secret));
      expect({ secret: `${secret.slice(0, 12)}…`, leaking }).toEqual({
        secret: `${secret.slice(0, 12)}…`,
        leaking: [],
      });
    }
  });

  it('writes one line per request, with its method, path and status', () => {
    const requestLines = entries.filter(
      (entry) =>
        typeof entry.req === 'object' &&
        entry.req !== null &&
        typeof (entry.res as { statusCode?: unknown } | undefined)?.statusCode === 'number',
    );
    const seen = requestLines.map((entry) => {
      const req = entry.req as { method: string; path?: string; url?: string };
      return `${req.method} ${(req.path ?? req.url ?? '').split('?')[0]} ${(entry.res as { statusCode: number }).statusCode}`;
    });
    expect(seen).toEqual(requests);
    const ids = requestLines.map((entry) => (entry.req as { id?: unknown }).id);
    expect(new Set(ids).size).toBe(requests.length);
  });

  it('records each successful login as login.succeeded with the user and the new session', () => {
    const succeeded = events('login.succeeded');
    expect(succeeded.map((e) => e.userId)).toEqual([userId, userId, userId]);
    expect(succeeded.map((e) => e.sessionId)).toEqual([
      sid(sessions.main),
      sid(sessions.stolen),
      sid(sessions.other),
    ]);
  });

  it('records a wrong password as login.failed with the user it was aimed at', () => {
    const failed = events('login.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].userId).toBe(userId);
    expect(failed[0].sessionId).toBeUndefined();
  });

  it('records a benign race as refresh.race_absorbed on its own session, not as reuse', () => {
    const race = events('refresh.race_absorbed');
    expect(race).toHaveLength(1);
    expect(race[0]).toMatchObject({ userId, sessionId: sid(sessions.main) });
    const reuseOfMain = events('refresh.reuse_detected').filter((e) => e.sessionId === sid(sessions.main));
    expect(reuseOfMain).toHaveLength(0);
  });

  it('records reuse after rotation as refresh.reuse_detected, distinct from the race', () => {
    const reuse = events('refresh.reuse_detected');
    expect(reuse).toHaveLength(1);
    expect(reuse[0]).toMatchObject({ userId, sessionId: sid(sessions.stolen) });
    expect(events('refresh.race_absorbed').filter((e) => e.sessionId === sid(sessions.stolen))).toHaveLength(
      0,
    );
  });

  it('records each revocation as session.revoked with its reason and session ids', () => {
    const revoked = events('session.revoked');
    for (const entry of revoked) {
      expect(entry.userId).toBe(userId);
      expect(typeof entry.reason).toBe('string');
    }
    const byReason = (reason: string) => revoked.filter((e) => e.reason === reason).flatMap(sessionIdsOf);
    expect(byReason('reuse_detected')).toEqual([sid(sessions.stolen)]);
    expect(byReason('password_changed')).toEqual([sid(sessions.other)]);
    expect(byReason('logout_all')).toEqual([sid(sessions.main)]);
  });

  it('records the password change with the user and the session that made it', () => {
    const changed = events('password.changed');
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ userId, sessionId: sid(sessions.main) });
  });

  it('puts no token-shaped value in any security event', () => {
    const all = entries.filter((entry) => typeof entry.securityEvent === 'string');
    expect(all.length).toBeGreaterThanOrEqual(9);
    for (const entry of all) {
      expect(JSON.stringify(entry)).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
      expect(Object.keys(entry)).not.toEqual(expect.arrayContaining(['token']));
      expect(Object.keys(entry)).not.toEqual(expect.arrayContaining(['password']));
    }
  });
});
