// Longer than most suites: the admin routes, each event's payload, and every way a delivery can fail are one
// feature, checked against one real receiver.
import { WEBHOOK_EVENTS, Webhooks } from '@gatehouse/audit';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { decodeJwt, LoggedIn, login, PASSWORD, register, signUp, uniqueEmail } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { expectNestError } from './support/expectations';
import { bearer, ownOrg } from './support/orgs';
import { TestApp } from './support/test-app';
import { ReceivedRequest, WebhookReceiver } from './support/webhook-receiver';

const ADMIN_PASSWORD = 'the webhooks administrator passphrase';
/** Short enough that a retry, a timeout and a poll each take a second or two. */
const FAST_DELIVERY = { DELIVERY_RETRY_FIRST: '1s', DELIVERY_POLL_INTERVAL: '1s', WEBHOOK_TIMEOUT: '2s' };
const USER_FIELDS = ['createdAt', 'displayName', 'email', 'emailVerified', 'id', 'roles'];
const ENDPOINT_FIELDS = ['createdAt', 'events', 'id', 'url'];

type Payload = { type: string; timestamp: string; data: Record<string, unknown> };
type Endpoint = { id: string; url: string; events: string[]; secret: string; path: string };
type DeliveryRow = {
  attempts: number;
  payload: string;
  delivered: boolean;
  given_up: boolean;
  last_error: string | null;
  /** Seconds from the database's now() to next_attempt_at. */
  due_in: number;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sessionId = (session: LoggedIn) => decodeJwt(session.accessToken).payload.sid as string;

/** The Standard Webhooks headers of a request, as the verifier takes them. */
function signedHeaders(request: ReceivedRequest): Record<string, string> {
  const header = (name: string) => String(request.headers[name] ?? '');
  return {
    'webhook-id': header('webhook-id'),
    'webhook-timestamp': header('webhook-timestamp'),
    'webhook-signature': header('webhook-signature'),
  };
}

/** The production settings a server refuses to start without, made up for one test. */
function productionSettings(): Record<string, string> {
  return {
    NODE_ENV: 'production',
    ACCESS_TOKEN_PRIVATE_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString(),
    REFRESH_TOKEN_SECRET: randomBytes(48).toString('base64url'),
    MFA_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    SMTP_URL: 'smtp://127.0.0.1:2525',
  };
}

describeEachDatabase('webhooks', (kind) => {
  const adminEmail = `admin-${randomUUID()}@example.com`;
  let receiver: WebhookReceiver;
  let app: TestApp;
  let admin: LoggedIn;
  /**
   * Every instance started. Nest's loggers write through the app that started last in the process, so a line may
   * land in another instance's capture: the log checks read them all.
   */
  const instances: TestApp[] = [];
  const logLines = () => instances.flatMap((instance) => instance.logs.lines);
  /** Each endpoint's secret, by the receiver path it was given. */
  const secrets = new Map<string, string>();
  /** Every secret and token the suite has seen: none may be in a payload or a log line. */
  const secretsSeen: string[] = [];
  let paths = 0;

  const asAdmin = () => ({ Authorization: `Bearer ${admin.accessToken}` });

  async function subscribe(events: readonly string[], name: string): Promise<Endpoint> {
    const path = `/hooks/${name}-${++paths}`;
    const response = await app
      .http()
      .post('/api/admin/webhooks')
      .set(asAdmin())
      .send({ url: receiver.url(path), events });
    if (response.status !== 201) throw new Error(`subscribing failed: ${response.status} ${response.text}`);
    secrets.set(path, response.body.secret);
    secretsSeen.push(response.body.secret);
    return { ...response.body, path };
  }

  /** A request's payload, once its signature is verified with the endpoint's secret. */
  function verified(request: ReceivedRequest): Payload {
    return new Webhook(secrets.get(request.path)!).verify(request.body, signedHeaders(request)) as Payload;
  }

  /** Waits for `count` accepted deliveries to the endpoint; returns them all, verified. */
  async function delivered(endpoint: Endpoint, count: number, timeoutMs = 10_000): Promise<Payload[]> {
    await receiver.until(
      () => receiver.accepted(endpoint.path).length >= count,
      timeoutMs,
      `${count} deliveries to ${endpoint.path}`,
    );
    return receiver.accepted(endpoint.path).map(verified);
  }

  const deliveryRow = async (webhookId: string): Promise<DeliveryRow> => {
    const [row] = await app.query<DeliveryRow>(
      `SELECT attempts, payload, delivered_at IS NOT NULL AS delivered, given_up_at IS NOT NULL AS given_up,
              last_error, extract(epoch FROM next_attempt_at - now())::float AS due_in
         FROM webhook_deliveries WHERE id = $1`,
      [webhookId.replace(/^msg_/, '')],
    );
    return row;
  };

  /** Polls the delivery's row until `ready` holds, for a few seconds. */
  const rowWhen = async (webhookId: string, ready: (row: DeliveryRow) => boolean): Promise<DeliveryRow> => {
    let row = await deliveryRow(webhookId);
    for (const deadline = Date.now() + 5000; !ready(row) && Date.now() < deadline;) {
      await sleep(50);
      row = await deliveryRow(webhookId);
    }
    return row;
  };

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    app = await TestApp.start(kind, { env: { ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD, ...FAST_DELIVERY } });
    instances.push(app);
    admin = await login(app, adminEmail, ADMIN_PASSWORD);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await receiver?.stop();
  }, 60_000);

  describe('the admin routes', () => {
    it('POST makes an endpoint and shows its secret once; GET lists and reads it without; DELETE ends it', async () => {
      const url = receiver.url('/hooks/routes');
      const made = await app
        .http()
        .post('/api/admin/webhooks')
        .set(asAdmin())
        .send({ url, events: ['user.created', 'session.revoked'] })
        .expect(201);
      expect(Object.keys(made.body).sort()).toEqual(['events', 'id', 'secret', 'url']);
      expect(made.body).toMatchObject({ url, events: ['user.created', 'session.revoked'] });
      expect(made.body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(made.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(made.body.secret.slice(6), 'base64')).toHaveLength(32);
      expect(made.headers['cache-control']).toMatch(/no-store/);
      secretsSeen.push(made.body.secret);

      const list = await app.http().get('/api/admin/webhooks').set(asAdmin()).expect(200);
      expect(Object.keys(list.body)).toEqual(['items']);
      const listed = (list.body.items as Record<string, unknown>[]).find((item) => item.id === made.body.id);
      expect(listed && Object.keys(listed).sort()).toEqual(ENDPOINT_FIELDS);
      expect(list.text).not.toContain(made.body.secret);

      const read = await app.http().get(`/api/admin/webhooks/${made.body.id}`).set(asAdmin()).expect(200);
      expect(read.body).toEqual(listed);
      expect(new Date(read.body.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);

      await app.http().delete(`/api/admin/webhooks/${made.body.id}`).set(asAdmin()).expect(204);
      await app.http().get(`/api/admin/webhooks/${made.body.id}`).set(asAdmin()).expect(404);
      await app.http().delete(`/api/admin/webhooks/${made.body.id}`).set(asAdmin()).expect(404);
      const after = await app.http().get('/api/admin/webhooks').set(asAdmin()).expect(200);
      expect(after.body.items.map((item: { id: string }) => item.id)).not.toContain(made.body.id);

      // Both changes are in the administrator's history.
      const history = await app.query<{ type: string; details: Record<string, unknown> }>(
        `SELECT type, details FROM audit_events WHERE user_id = $1 AND type LIKE 'webhook.%' ORDER BY id`,
        [admin.userId],
      );
      expect(history.filter((event) => event.details.webhookId === made.body.id).map((e) => e.type)).toEqual([
        'webhook.created',
        'webhook.deleted',
      ]);
    });

    it('answers 404 for an unknown id and 400 for one that is not a UUID', async () => {
      const unknown = randomUUID();
      expectNestError(
        (await app.http().get(`/api/admin/webhooks/${unknown}`).set(asAdmin()).expect(404)).body,
        404,
      );
      await app.http().delete(`/api/admin/webhooks/${unknown}`).set(asAdmin()).expect(404);
      await app.http().get('/api/admin/webhooks/not-a-uuid').set(asAdmin()).expect(400);
      await app.http().delete('/api/admin/webhooks/not-a-uuid').set(asAdmin()).expect(400);
    });

    const hook = 'https://hooks.example.com/x';
    it.each([
      ['no url', { events: ['user.created'] }, /url/],
      ['no events', { url: hook }, /events/],
      [
        'an ftp URL',
        { url: 'ftp://hooks.example.com/x', events: ['user.created'] },
        /absolute http or https URL/,
      ],
      ['no scheme', { url: 'hooks.example.com/x', events: ['user.created'] }, /absolute http or https URL/],
      ['a relative URL', { url: '/relative', events: ['user.created'] }, /absolute http or https URL/],
      [
        'credentials in the URL',
        { url: 'https://user:secret@hooks.example.com/x', events: ['user.created'] },
        /user name or password/,
      ],
      [
        'a URL over 2048 characters',
        { url: `${hook}/${'a'.repeat(2030)}`, events: ['user.created'] },
        /2048/,
      ],
      ['a space in the URL', { url: `${hook}/a b`, events: ['user.created'] }, /spaces/],
      ['a number for url', { url: 42, events: ['user.created'] }, /url must be a string/],
      ['a null url', { url: null, events: ['user.created'] }, /url must not be null/],
      ['no event', { url: hook, events: [] }, /events should not be empty/],
      ['events not an array', { url: hook, events: 'user.created' }, /events must be an array/],
      ['an event twice', { url: hook, events: ['user.created', 'user.created'] }, /unique/],
      ['an unknown event', { url: hook, events: ['user.exploded'] }, /must be one of user.created/],
      ['a field of its own', { url: hook, events: ['user.created'], secret: 'whsec_mine' }, /secret/],
    ])('refuses a body with 400 naming the problem: %s', async (_problem, body, message) => {
      const response = await app.http().post('/api/admin/webhooks').set(asAdmin()).send(body).expect(400);
      expectNestError(response.body, 400);
      expect(JSON.stringify(response.body.message)).toMatch(message);
    });

    it('is for administrators only: 403 for a user, 401 without a token', async () => {
      const user = await signUp(app);
      const as = { Authorization: `Bearer ${user.accessToken}` };
      const id = randomUUID();
      const body = { url: receiver.url('/hooks/never'), events: ['user.created'] };
      await app.http().post('/api/admin/webhooks').set(as).send(body).expect(403);
      await app.http().get('/api/admin/webhooks').set(as).expect(403);
      await app.http().get(`/api/admin/webhooks/${id}`).set(as).expect(403);
      await app.http().delete(`/api/admin/webhooks/${id}`).set(as).expect(403);
      await app.http().post('/api/admin/webhooks').send(body).expect(401);
      await app.http().get('/api/admin/webhooks').expect(401);
      expect(receiver.to('/hooks/never')).toEqual([]);
    });
  });

  describe('delivery', () => {
    it('delivers each event to the endpoints subscribed to it, signed, with the documented payload', async () => {
      const everything = await subscribe(WEBHOOK_EVENTS, 'all');
      const disabledOnly = await subscribe(['user.disabled'], 'disabled-only');
      const since = Date.now();

      // user.created, then user.updated
      const email = uniqueEmail('hooked');
      const userId = (await register(app, email)).body.id as string;
      const first = await login(app, email);
      const second = await login(app, email);
      const third = await login(app, email);
      secretsSeen.push(first.accessToken, first.cookie, second.accessToken, second.cookie, third.cookie);
      await app
        .http()
        .patch('/api/users/me')
        .set(bearer(first))
        .send({ displayName: 'Hooked User' })
        .expect(200);
      // session.revoked, twice: one session deleted from another, one logged out
      await app
        .http()
        .delete(`/api/auth/sessions/${sessionId(second)}`)
        .set(bearer(first))
        .expect(204);
      await app.http().post('/api/auth/logout').set('Cookie', third.cookie).expect(204);
      // org.member_added (the owner), org.member_removed (a member the owner removes)
      const org = await ownOrg(app, first, 'Hooked Org');
      const member = await signUp(app);
      await app.query('INSERT INTO org_memberships (organization_id, user_id, role) VALUES ($1, $2, $3)', [
        org.id,
        member.userId,
        'member',
      ]);
      await app.http().delete(`/api/orgs/${org.id}/members/${member.userId}`).set(bearer(first)).expect(204);
      // user.disabled (and the first session revoked with it), then user.enabled
      await app.http().post(`/api/admin/users/${userId}/disable`).set(asAdmin()).expect(204);
      await app.http().post(`/api/admin/users/${userId}/enable`).set(asAdmin()).expect(204);

      // The member's sign-up is an event too: 10 in all.
      const payloads = await delivered(everything, 10);
      const ofType = (type: string) => payloads.filter((payload) => payload.type === type);
      expect(payloads.map((payload) => payload.type).sort()).toEqual(
        [
          'org.member_added',
          'org.member_removed',
          'session.revoked',
          'session.revoked',
          'session.revoked',
          'user.created',
          'user.created',
          'user.disabled',
          'user.enabled',
          'user.updated',
        ].sort(),
      );
      for (const payload of payloads) {
        expect(Object.keys(payload).sort()).toEqual(['data', 'timestamp', 'type']);
        expect(new Date(payload.timestamp).toISOString()).toBe(payload.timestamp);
        expect(Date.parse(payload.timestamp)).toBeGreaterThanOrEqual(since - 1000);
      }
      const created = ofType('user.created').find((payload) => payload.data.id === userId)!;
      expect(Object.keys(created.data).sort()).toEqual(USER_FIELDS);
      expect(created.data).toMatchObject({ id: userId, email, emailVerified: false });
      const [updated] = ofType('user.updated');
      expect(Object.keys(updated.data).sort()).toEqual(USER_FIELDS);
      expect(updated.data).toMatchObject({ id: userId, displayName: 'Hooked User' });
      for (const type of ['user.disabled', 'user.enabled']) {
        expect(Object.keys(ofType(type)[0].data).sort()).toEqual(USER_FIELDS);
        expect(ofType(type)[0].data.id).toBe(userId);
      }
      const revoked = ofType('session.revoked');
      expect(revoked.map((payload) => payload.data.sessionId).sort()).toEqual(
        [sessionId(first), sessionId(second), sessionId(third)].sort(),
      );
      for (const payload of revoked) {
        expect(Object.keys(payload.data).sort()).toEqual(['reason', 'sessionId', 'userId']);
        expect(payload.data.userId).toBe(userId);
      }
      expect(ofType('org.member_added').map((payload) => payload.data)).toEqual([
        { organizationId: org.id, userId, role: 'owner' },
      ]);
      expect(ofType('org.member_removed').map((payload) => payload.data)).toEqual([
        { organizationId: org.id, userId: member.userId },
      ]);

      // Only what it subscribed to reaches the other endpoint.
      const disabled = await delivered(disabledOnly, 1);
      await sleep(1500);
      expect(receiver.to(disabledOnly.path)).toHaveLength(1);
      expect(disabled.map((payload) => [payload.type, payload.data.id])).toEqual([['user.disabled', userId]]);
      expect(receiver.to(everything.path)).toHaveLength(10);

      // As Standard Webhooks has it: POSTed JSON, one id per delivery, this attempt's time.
      const requests = receiver.to(everything.path);
      for (const request of requests) {
        expect(request.method).toBe('POST');
        expect(request.headers['content-type']).toBe('application/json');
        expect(request.headers['webhook-id']).toMatch(/^msg_[0-9a-f-]{36}$/);
        expect(Math.abs(Number(request.headers['webhook-timestamp']) - request.at / 1000)).toBeLessThan(5);
        expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      }
      expect(new Set(requests.map((request) => request.headers['webhook-id'])).size).toBe(requests.length);
      // The signature is over these exact bytes: one changed byte and it no longer verifies.
      const [sample] = requests;
      expect(() =>
        new Webhook(everything.secret).verify(sample.body.replace('"type"', '"typE"'), signedHeaders(sample)),
      ).toThrow();
      expect(() => new Webhook(disabledOnly.secret).verify(sample.body, signedHeaders(sample))).toThrow();

      // Nothing secret in any of them.
      const mine = [...requests, ...receiver.to(disabledOnly.path)];
      const bodies = mine.map((request) => request.body).join('\n');
      for (const secret of [...secretsSeen, PASSWORD, ADMIN_PASSWORD]) expect(bodies).not.toContain(secret);
      expect(bodies).not.toMatch(/argon2|password|token|cookie|secret/i);
      for (const request of mine) {
        expect(Object.values(request.headers).join('\n')).not.toContain(secrets.get(request.path)!.slice(6));
      }

      // Each delivery is recorded once and its payload wiped.
      const rows = await app.query<{ attempts: number; payload: string; delivered: boolean }>(
        `SELECT attempts, payload, delivered_at IS NOT NULL AS delivered FROM webhook_deliveries
          WHERE endpoint_id = ANY($1::uuid[])`,
        [[everything.id, disabledOnly.id]],
      );
      expect(rows).toHaveLength(11);
      expect(rows.every((row) => row.delivered && row.attempts === 1 && row.payload === '')).toBe(true);
    }, 60_000);

    it('queues nothing for a change that rolls back', async () => {
      const endpoint = await subscribe(['user.updated'], 'rollback');
      const webhooks = app.app.get(Webhooks);
      await expect(
        app.app.get(DataSource).transaction(async (db) => {
          await webhooks.emit(db, 'user.updated', { marker: 'rolled back' });
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      await app.app
        .get(DataSource)
        .transaction((db) => webhooks.emit(db, 'user.updated', { marker: 'committed' }));
      const [payload] = await delivered(endpoint, 1);
      expect(payload.data).toEqual({ marker: 'committed' });
      await sleep(1000);
      expect(receiver.to(endpoint.path)).toHaveLength(1);
    });

    it('retries a receiver that fails, with the same webhook-id and body, until it accepts', async () => {
      const endpoint = await subscribe(['user.created'], 'flaky');
      receiver.failNext(endpoint.path, 2, 503);
      await register(app);
      await delivered(endpoint, 1);
      const attempts = receiver.to(endpoint.path);
      expect(attempts.map((attempt) => attempt.status)).toEqual([503, 503, 200]);
      expect(new Set(attempts.map((attempt) => attempt.headers['webhook-id'])).size).toBe(1);
      expect(new Set(attempts.map((attempt) => attempt.body)).size).toBe(1);
      // Each attempt signed afresh, each verifiable.
      for (const attempt of attempts) expect(verified(attempt).type).toBe('user.created');
      // Backing off: 1 s after the first failure, 2 s after the second (DELIVERY_RETRY_FIRST=1s).
      expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(900);
      expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(1900);

      const row = await rowWhen(String(attempts[0].headers['webhook-id']), (r) => r.delivered);
      expect(row).toMatchObject({
        attempts: 3,
        payload: '',
        delivered: true,
        given_up: false,
        last_error: null,
      });
    }, 30_000);

    it('never follows a redirect; retries a cut connection and a silent receiver, leaving the row whole meanwhile', async () => {
      const endpoint = await subscribe(['user.created'], 'odd');
      receiver.failNext(endpoint.path, 1, 307, { location: receiver.url('/hooks/elsewhere') });
      receiver.dropNext(endpoint.path);
      receiver.ignoreNext(endpoint.path);
      await register(app);

      // The second attempt: the receiver read the whole request, then cut the connection without an answer.
      await receiver.until(() => receiver.to(endpoint.path).length >= 2, 10_000, 'a second attempt');
      const [first] = receiver.to(endpoint.path);
      const webhookId = String(first.headers['webhook-id']);
      const row = await rowWhen(
        webhookId,
        (r) => r.attempts === 2 && r.last_error !== null && !r.last_error.includes('307'),
      );
      // Not delivered, not given up, the payload intact for the retry, due again after the backoff.
      expect(row).toMatchObject({ attempts: 2, delivered: false, given_up: false, payload: first.body });
      expect(row.due_in).toBeGreaterThan(0);
      expect(row.due_in).toBeLessThanOrEqual(2);

      await delivered(endpoint, 1, 20_000);
      const attempts = receiver.to(endpoint.path);
      expect(attempts.map((attempt) => attempt.status)).toEqual([307, 'dropped', undefined, 200]);
      expect(new Set(attempts.map((attempt) => attempt.headers['webhook-id']))).toEqual(new Set([webhookId]));
      expect(receiver.to('/hooks/elsewhere')).toEqual([]);
      expect(await rowWhen(webhookId, (r) => r.delivered)).toMatchObject({ attempts: 4, payload: '' });
      const lines = logLines().filter((line) => line.includes(webhookId.replace(/^msg_/, '')));
      expect(lines.join('\n')).toMatch(/attempt 1 failed \(HTTP 307, a redirect \(never followed\)\)/);
      expect(lines.join('\n')).toMatch(/attempt 3 failed \(no answer within 2 s\)/);
    }, 40_000);

    it('gives up at once on 410 Gone, and wipes the payload', async () => {
      const endpoint = await subscribe(['user.created'], 'gone');
      receiver.alwaysAnswer(endpoint.path, 410);
      await register(app);
      await receiver.until(() => receiver.to(endpoint.path).length === 1, 10_000, 'the attempt');
      await sleep(2500);
      expect(receiver.to(endpoint.path)).toHaveLength(1);
      const row = await rowWhen(
        String(receiver.to(endpoint.path)[0].headers['webhook-id']),
        (r) => r.given_up,
      );
      expect(row).toMatchObject({
        attempts: 1,
        delivered: false,
        given_up: true,
        payload: '',
        last_error: 'HTTP 410',
      });
    });

    it('gives up, and wipes, a delivery still failing after WEBHOOK_GIVE_UP', async () => {
      const endpoint = await subscribe(['user.created'], 'down');
      receiver.alwaysAnswer(endpoint.path, 500);
      await register(app);
      await receiver.until(() => receiver.to(endpoint.path).length >= 1, 10_000, 'a failed attempt');
      const webhookId = String(receiver.to(endpoint.path)[0].headers['webhook-id']);
      // As if it had been failing for four days (WEBHOOK_GIVE_UP is three).
      await app.query(
        `UPDATE webhook_deliveries SET created_at = now() - interval '4 days' WHERE endpoint_id = $1`,
        [endpoint.id],
      );
      const row = await rowWhen(webhookId, (r) => r.given_up);
      expect(row).toMatchObject({ delivered: false, given_up: true, payload: '' });
      expect(row.last_error).toBe('HTTP 500');
      const tried = receiver.to(endpoint.path).length;
      await sleep(2500);
      expect(receiver.to(endpoint.path)).toHaveLength(tried);
      expect(logLines().some((line) => line.includes(`${webhookId.slice(4)} (user.created) given up`))).toBe(
        true,
      );
    }, 30_000);

    it('drops what a deleted endpoint had still to receive', async () => {
      const endpoint = await subscribe(['user.created'], 'deleted');
      receiver.alwaysAnswer(endpoint.path, 503);
      await register(app);
      await receiver.until(() => receiver.to(endpoint.path).length >= 1, 10_000, 'a failed attempt');
      await app.http().delete(`/api/admin/webhooks/${endpoint.id}`).set(asAdmin()).expect(204);
      const tried = receiver.to(endpoint.path).length;
      expect(
        await app.query('SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1', [endpoint.id]),
      ).toEqual([]);
      await sleep(2500);
      expect(receiver.to(endpoint.path)).toHaveLength(tried);
    });

    if (kind === 'postgres') {
      it('with two instances, delivers each event once to each endpoint', async () => {
        const peer = await TestApp.startPeer(app);
        instances.push(peer);
        try {
          const endpoints = [
            await subscribe(['user.created'], 'pair-a'),
            await subscribe(['user.created'], 'pair-b'),
          ];
          // Slow answers keep both instances' lanes busy at once.
          receiver.delayAnswers(150);
          const emails = Array.from({ length: 20 }, () => uniqueEmail('pair'));
          await Promise.all(emails.map((email, i) => register(i % 2 === 0 ? app : peer, email)));
          for (const endpoint of endpoints) {
            const payloads = await delivered(endpoint, 20, 20_000);
            expect(payloads.map((payload) => payload.data.email).sort()).toEqual([...emails].sort());
          }
          // Room for a duplicate to show up.
          await sleep(1500);
          for (const endpoint of endpoints) {
            const requests = receiver.to(endpoint.path);
            expect(requests).toHaveLength(20);
            expect(new Set(requests.map((request) => request.headers['webhook-id'])).size).toBe(20);
          }
          const rows = await app.query<{ attempts: number; delivered: boolean }>(
            `SELECT attempts, delivered_at IS NOT NULL AS delivered FROM webhook_deliveries
              WHERE endpoint_id = ANY($1::uuid[])`,
            [endpoints.map((endpoint) => endpoint.id)],
          );
          expect(rows).toHaveLength(40);
          expect(rows.every((row) => row.delivered && row.attempts === 1)).toBe(true);
        } finally {
          receiver.delayAnswers(0);
          await peer.stop();
        }
      }, 60_000);
    }

    it('never writes a secret, a payload or what the receiver answered to a log line', () => {
      const lines = logLines();
      expect(lines.some((line) => line.includes('delivered (HTTP 200)'))).toBe(true);
      for (const secret of secretsSeen) expect(lines.filter((line) => line.includes(secret))).toEqual([]);
      expect(lines.filter((line) => line.includes(receiver.answerBody))).toEqual([]);
      const bodies = receiver.requests.map((request) => request.body).filter((body) => body.length > 0);
      expect(lines.filter((line) => bodies.some((body) => line.includes(body)))).toEqual([]);
    });
  });
});

/** A server of its own: several apps side by side in one process share Nest's logger, and this one's keys differ. */
describeEachDatabase('webhook URLs in production', (kind) => {
  it('must be https', async () => {
    const email = `prod-admin-${randomUUID()}@example.com`;
    const production = await TestApp.start(kind, {
      env: { ...productionSettings(), ADMIN_EMAIL: email, ADMIN_PASSWORD },
    });
    try {
      const prodAdmin = await login(production, email, ADMIN_PASSWORD);
      const post = (url: string) =>
        production
          .http()
          .post('/api/admin/webhooks')
          .set({ Authorization: `Bearer ${prodAdmin.accessToken}` })
          .send({ url, events: ['user.created'] });
      const refused = await post('http://hooks.example.com/gatehouse').expect(400);
      expect(refused.body.message).toBe('url must use https (NODE_ENV=production)');
      const made = await post('https://hooks.example.com/gatehouse').expect(201);
      expect(made.body.url).toBe('https://hooks.example.com/gatehouse');
    } finally {
      await production.stop();
    }
  }, 60_000);
});
