import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { PASSWORD } from './support/auth-client';
import { CRASH_SETTINGS, CrashableServer } from './support/crashable-server';
import { DatabaseKind, describeEachDatabase } from './support/databases';
import { ReceivedRequest, WebhookReceiver } from './support/webhook-receiver';

const ADMIN_PASSWORD = 'the webhooks administrator passphrase';
const PATH = '/hooks/crash';

type DeliveryRow = {
  event: string;
  attempts: number;
  delivered: boolean;
  given_up: boolean;
  payload: string;
};

const webhookId = (request: ReceivedRequest) => String(request.headers['webhook-id']);

/**
 * The real server process, killed with SIGKILL while webhooks wait to be retried, one of them on the wire, another
 * just queued; then started again on the same data: what the receiver got and what the table says afterwards.
 */
describeEachDatabase('webhooks through a SIGKILL', (kind: DatabaseKind) => {
  const adminEmail = `admin-${randomUUID()}@example.com`;
  const users = Array.from(
    { length: 3 },
    (_, i) => `crash-hook-${i}-${randomUUID().slice(0, 8)}@example.test`,
  );
  let receiver: WebhookReceiver;
  let server: CrashableServer;
  let secret: string;

  const post = (path: string, body: unknown, accessToken?: string) =>
    fetch(`${server.baseUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
      },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    server = await CrashableServer.create(kind, {
      ...CRASH_SETTINGS,
      ADMIN_EMAIL: adminEmail,
      ADMIN_PASSWORD,
      DELIVERY_RETRY_FIRST: '1s',
      DELIVERY_POLL_INTERVAL: '1s',
      // A delivery on the wire when the process died is reserved for twice this plus 5 s.
      WEBHOOK_TIMEOUT: '1s',
    });
  });
  afterAll(async () => {
    await server?.dispose();
    await receiver?.stop();
  });

  it('delivers, once each after the restart, what was waiting, on the wire and just queued at the kill', async () => {
    await server.start();
    const signedIn = await post('/api/auth/login', { email: adminEmail, password: ADMIN_PASSWORD });
    const { accessToken } = (await signedIn.json()) as { accessToken: string };
    const made = await post(
      '/api/admin/webhooks',
      { url: receiver.url(PATH), events: ['user.created'] },
      accessToken,
    );
    expect(made.status).toBe(201);
    secret = ((await made.json()) as { secret: string }).secret;

    // Two sign-ups while the receiver answers 503 to everything: both wait for their retries.
    receiver.alwaysAnswer(PATH, 503);
    for (const email of users.slice(0, 2)) {
      expect((await post('/api/auth/register', { email, password: PASSWORD })).status).toBe(201);
    }
    await receiver.until(
      () => new Set(receiver.to(PATH).map(webhookId)).size === 2,
      15_000,
      'a failed attempt of each',
    );
    // A retry held on the wire, and a third sign-up queued behind it.
    const held = await receiver.holdNext(PATH);
    expect((await post('/api/auth/register', { email: users[2], password: PASSWORD })).status).toBe(201);
    await server.kill();
    expect(receiver.to(PATH).filter((request) => request.status === 200)).toEqual([]);

    // The receiver recovers; the next server delivers everything.
    receiver.reset(PATH);
    await server.start();
    await receiver.until(
      () => new Set(receiver.accepted(PATH).map(webhookId)).size === 3,
      40_000,
      'every delivery accepted',
    );
    // Room for a duplicate to show up.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const accepted = receiver.accepted(PATH);
    expect(accepted).toHaveLength(3);
    const payloads = accepted.map(
      (request) =>
        new Webhook(secret).verify(request.body, {
          'webhook-id': webhookId(request),
          'webhook-timestamp': String(request.headers['webhook-timestamp']),
          'webhook-signature': String(request.headers['webhook-signature']),
        }) as { type: string; data: { email: string } },
    );
    expect(payloads.map((payload) => payload.data.email).sort()).toEqual([...users].sort());
    // The delivery cut off on the wire came again as itself: same id, same bytes.
    const again = accepted.find((request) => webhookId(request) === webhookId(held.request));
    expect(again?.body).toBe(held.request.body);
  }, 200_000);

  it('leaves every delivery delivered once, its payload wiped, nothing pending', async () => {
    await server.stop();
    const rows = await server.readDatabase((query) =>
      query<DeliveryRow>(
        `SELECT event, attempts, delivered_at IS NOT NULL AS delivered, given_up_at IS NOT NULL AS given_up, payload
           FROM webhook_deliveries ORDER BY created_at`,
      ),
    );
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row).toMatchObject({ event: 'user.created', delivered: true, given_up: false, payload: '' });
    }
    // Every request the receiver saw was a counted attempt, the one cut off by the kill included.
    const seen = receiver.to(PATH).map(webhookId);
    expect(rows.reduce((total, row) => total + row.attempts, 0)).toBeGreaterThanOrEqual(seen.length);
  }, 60_000);
});
