import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { LoggedIn, PASSWORD, login, signUp, uniqueEmail } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { ownOrg } from './support/orgs';
import { problemsWith } from './support/fuzz/answer-checks';
import {
  FUZZ_METRICS_TOKEN,
  FuzzRequest,
  LIVE_BEARER,
  LIVE_CLIENT_BASIC,
  LIVE_CLIENT_ID,
  LIVE_CLIENT_SECRET,
  LIVE_COOKIE,
  OpenApiDocument,
  Operation,
  operationsOf,
  requestsFor,
} from './support/fuzz/fuzz-requests';
import { Answer, send } from './support/fuzz/raw-http';
import { SchemaArbitraries } from './support/fuzz/schema-arbitraries';
import { TestApp } from './support/test-app';

/** Runs per operation and database: 200 per operation on both databases by default; `FUZZ_RUNS=5000` for a hunt. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
/** Fixed, so that `npm test` is reproducible; `FUZZ_SEED=<n>` explores elsewhere or replays a reported failure. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
/** However hostile the request, the answer comes within this (the slowest honest route hashes a password). */
const DEADLINE_MS = 5_000;
const ADMIN_EMAIL = 'fuzz-admin@example.com';

interface LogEntry {
  level: number;
  msg: string;
  req?: { path?: string };
  err?: { message?: string };
}

/** Each operation gets its own seed, so that adding a route does not change what the others are sent. */
function seedFor(operation: Operation): number {
  return (SEED ^ createHash('sha256').update(operation.key).digest().readInt32BE(0)) | 0;
}

/** A request as a report shows it: long values cut, the stand-ins for live credentials left in place. */
function describeRequest(request: FuzzRequest): string {
  const cut = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}… (${s.length} chars)` : s);
  const body = request.body ? cut(request.body.toString('utf8')) : '(none)';
  return `${request.method} ${cut(request.path)} headers=${cut(JSON.stringify(request.headers))} body=${body}`;
}

describeEachDatabase('every operation of the served OpenAPI document, fuzzed', (kind) => {
  let app: TestApp;
  let port: number;
  let document: OpenApiDocument;
  /** The admin whose live credentials the generated requests may carry. */
  let live: LoggedIn;
  /** A service client whose credentials the token endpoint's requests may carry. */
  let liveClient: { clientId: string; clientSecret: string };
  /** Ids of rows that exist, so that some path parameters name real ones. */
  const knownIds: string[] = [];
  const statuses = new Map<number, number>();
  let sent = 0;
  let lateAnswersSentAgain = 0;

  beforeAll(async () => {
    app = await TestApp.start(kind, {
      env: {
        ADMIN_EMAIL,
        ADMIN_PASSWORD: PASSWORD,
        METRICS_TOKEN: FUZZ_METRICS_TOKEN,
        // A provider with nothing to reach at start, so that the OAuth routes run past their provider lookup.
        OAUTH_PROVIDERS: 'github',
        OAUTH_GITHUB_TYPE: 'github',
        OAUTH_GITHUB_CLIENT_ID: 'fuzz-client',
        OAUTH_GITHUB_CLIENT_SECRET: 'fuzz-secret',
      },
    });
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.app.getHttpServer().address() as AddressInfo).port;
    const served = await send(port, { method: 'GET', path: '/api/docs-json', headers: {} }, 10_000);
    document = JSON.parse(served.text) as OpenApiDocument;

    live = await login(app, ADMIN_EMAIL);
    const other = await signUp(app, uniqueEmail('fuzz-other'));
    const note = await app
      .http()
      .post('/api/notes')
      .set('Authorization', `Bearer ${live.accessToken}`)
      .send({ title: 'a note the fuzzer may find' })
      .expect(201);
    const sessions = await app
      .http()
      .get('/api/auth/sessions')
      .set('Authorization', `Bearer ${live.accessToken}`);
    knownIds.push(other.userId, note.body.id, ...sessions.body.map((s: { id: string }) => s.id));
    // An organization of the live admin's, active in its token, with a pending invitation: the routes under
    // /api/orgs/{id} then run past the active-organization check.
    const org = await ownOrg(app, live, 'the fuzzer’s organization');
    const invitation = await app
      .http()
      .post(`/api/orgs/${org.id}/invitations`)
      .set('Authorization', `Bearer ${live.accessToken}`)
      .send({ email: uniqueEmail('fuzz-invited'), role: 'member' })
      .expect(201);
    knownIds.push(org.id, invitation.body.id);
    liveClient = (
      await app
        .http()
        .post('/api/admin/clients')
        .set('Authorization', `Bearer ${live.accessToken}`)
        .send({ name: 'the fuzzer’s client', scopes: ['notes:read', 'notes:write'] })
        .expect(201)
    ).body;
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
  }, 60_000);

  /** Every token and cookie value the fuzzed requests carried: none may appear in a log line. */
  const liveSecrets = new Set<string>();

  /** A fresh login when the last request showed the live credentials no longer work (revoked, rotated, reused). */
  let stale = false;
  async function withLiveCredentials(
    request: FuzzRequest,
  ): Promise<{ request: FuzzRequest; usedLive: boolean }> {
    if (stale) {
      live = await login(app, ADMIN_EMAIL);
      stale = false;
    }
    liveSecrets
      .add(live.accessToken)
      .add(live.cookie.slice('refresh_token='.length))
      .add(liveClient.clientSecret);
    const headers = { ...request.headers };
    const basic = Buffer.from(`${liveClient.clientId}:${liveClient.clientSecret}`).toString('base64');
    if (headers.authorization?.includes(LIVE_CLIENT_BASIC)) {
      headers.authorization = headers.authorization.replace(LIVE_CLIENT_BASIC, basic);
    }
    // Byte for byte (latin1 round-trips any byte): the stand-ins are ASCII, the rest of a body may be anything.
    const body = request.body
      ? Buffer.from(
          request.body
            .toString('latin1')
            .replaceAll(LIVE_CLIENT_ID, liveClient.clientId)
            .replaceAll(LIVE_CLIENT_SECRET, liveClient.clientSecret),
          'latin1',
        )
      : undefined;
    let usedLive = false;
    for (const [name, value] of Object.entries(headers)) {
      if (!value.includes(LIVE_BEARER) && !value.includes(LIVE_COOKIE)) continue;
      usedLive = true;
      headers[name] = value
        .replace(LIVE_BEARER, live.accessToken)
        .replace(LIVE_COOKIE, live.cookie.slice('refresh_token='.length));
    }
    return { request: { ...request, headers, body }, usedLive };
  }

  function adoptRotation(answer: Answer): void {
    const setCookie = ([] as string[]).concat(answer.headers['set-cookie'] ?? []);
    const rotated = setCookie.find(
      (line) => line.startsWith('refresh_token=') && !line.startsWith('refresh_token=;'),
    );
    if (rotated) live = { ...live, cookie: rotated.split(';')[0] };
  }

  async function fuzz(operation: Operation, schemas: SchemaArbitraries): Promise<string | undefined> {
    const property = fc.asyncProperty(requestsFor(operation, schemas, knownIds), async (generated) => {
      const { request, usedLive } = await withLiveCredentials(generated);
      let answer = await send(port, request, DEADLINE_MS * 2);
      sent += 1;
      if (answer.status !== undefined && answer.elapsedMs > DEADLINE_MS) {
        // Two test files share the machine's cores, and a stall of the whole machine makes one answer late once;
        // a route that is slow by its own code (a pattern that backtracks, a hash of a huge input) is slow again.
        const again = await send(port, request, DEADLINE_MS * 2);
        sent += 1;
        lateAnswersSentAgain += 1;
        if (again.status !== undefined) answer = { ...answer, elapsedMs: again.elapsedMs };
      }
      statuses.set(answer.status ?? 0, (statuses.get(answer.status ?? 0) ?? 0) + 1);
      adoptRotation(answer);
      if (usedLive && answer.status === 401) stale = true;
      const problems = problemsWith(request, answer, DEADLINE_MS, operation.formSchema ? 'oauth' : 'nest');
      if (problems.length) {
        throw new Error(`${problems.join('; ')}\n  answer: ${answer.status} ${answer.text.slice(0, 300)}`);
      }
    });
    const result = await fc.check(property, { numRuns: RUNS, seed: seedFor(operation) });
    if (!result.failed) return undefined;
    const request = result.counterexample ? describeRequest(result.counterexample[0]) : '(none)';
    return [
      `${operation.key}: ${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}`,
      `  request: ${request}`,
      `  replay: FUZZ_SEED=${SEED} (operation seed ${result.seed}, path "${result.counterexamplePath}")`,
    ].join('\n');
  }

  it(
    'answers every generated request within the contract: no 5xx, Nest’s error shape, no internals, in time',
    async () => {
      const operations = operationsOf(document);
      // The document itself is the input: if it lost its routes, a fuzzer that sends nothing must not pass.
      expect(operations.length).toBeGreaterThanOrEqual(45);
      expect(operations.map((o) => o.key)).toEqual(
        expect.arrayContaining([
          'POST /api/auth/login',
          'POST /api/auth/refresh',
          'PATCH /api/notes/{id}',
          'POST /api/auth/passkeys/login',
          'POST /api/auth/reauthenticate',
          'POST /api/auth/reauthenticate/passkey-options',
          'POST /api/oauth/token',
          'POST /api/auth/email-code',
          'POST /api/auth/email-code/verify',
        ]),
      );
      const schemas = new SchemaArbitraries(document.components?.schemas ?? {});
      const failures: string[] = [];
      for (const operation of operations) {
        const failure = await fuzz(operation, schemas);
        if (failure) failures.push(failure);
      }
      process.stdout.write(
        `fuzz [${kind}]: ${operations.length} operations, ${sent} requests (seed ${SEED}, ${RUNS} runs each); ` +
          `statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}, ` +
          `${lateAnswersSentAgain} late answers sent again\n`,
      );
      expect(failures).toEqual([]);
    },
    30 * 60_000,
  );

  it('is still ready afterwards, and logged no secret it was sent and no error', async () => {
    const ready = await send(port, { method: 'GET', path: '/api/health/ready', headers: {} }, DEADLINE_MS);
    expect(ready.status).toBe(200);
    const secrets = [PASSWORD, FUZZ_METRICS_TOKEN, ...liveSecrets];
    const leaking = app.logs.lines.filter((line) => secrets.some((secret) => line.includes(secret)));
    expect(leaking).toEqual([]);
    // An error logged is a failure answered as something else, or not answered at all: name each one briefly.
    const errors = app.logs.lines
      .map((line) => JSON.parse(line) as LogEntry)
      .filter((entry) => entry.level >= 50)
      .map((entry) => `${entry.req?.path ?? '-'}: ${entry.msg}: ${entry.err?.message ?? ''}`);
    expect(errors).toEqual([]);
  });
});
