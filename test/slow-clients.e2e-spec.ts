import { mkdtempSync, rmSync } from 'node:fs';
import { Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSWORD } from './support/auth-client';
import { copyPgliteTemplate } from './support/pglite-template';
import { ServerProcess, freePort } from './support/server-process';

/** A raw client socket and the moment the server closed it, with whatever the server wrote first. */
interface RawClient {
  readonly socket: Socket;
  readonly closed: Promise<{ at: number; received: string }>;
}

async function openRawClient(port: number, firstBytes: string): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  // A reset from the server is as good as a close here: either way the connection is gone.
  socket.on('error', () => undefined);
  const closed = new Promise<{ at: number; received: string }>((resolve) =>
    socket.once('close', () =>
      resolve({ at: Date.now(), received: Buffer.concat(chunks).toString('latin1') }),
    ),
  );
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(firstBytes);
  return { socket, closed };
}

/** Headers announcing a JSON body, then only half of that body: the client stalls mid-request. */
function stallMidBody(port: number): Promise<RawClient> {
  const body = JSON.stringify({ email: 'slow@example.com', password: PASSWORD });
  return openRawClient(
    port,
    'POST /api/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, body.length / 2)}`,
  );
}

/** Half of a request's headers, never finished. */
function stallMidHeaders(port: number): Promise<RawClient> {
  return openRawClient(port, 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: appl');
}

/** A keep-alive connection that was served once and then stalls halfway through its second request. */
async function stallOnKeptAliveSocket(port: number): Promise<RawClient> {
  const request = 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n';
  const client = await openRawClient(port, request);
  await new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      if (chunk.toString('latin1').includes('"status"')) {
        client.socket.off('data', onData);
        resolve();
      }
    };
    client.socket.on('data', onData);
  });
  client.socket.write(request.slice(0, 30));
  return client;
}

/** Sends `text` one byte every `intervalMs` until it is all sent or the server closes the socket (slowloris). */
async function trickle(port: number, text: string, intervalMs = 1_000): Promise<RawClient> {
  const client = await openRawClient(port, text.slice(0, 1));
  let sent = 1;
  const timer = setInterval(() => {
    if (client.socket.destroyed || sent >= text.length) return clearInterval(timer);
    client.socket.write(text.slice(sent, sent + 1));
    sent += 1;
  }, intervalMs);
  void client.closed.then(() => clearInterval(timer));
  return client;
}

/** Resolves once the socket has received the whole of an answer whose body ends with `marker`. */
function answered(client: RawClient, marker: string): Promise<number> {
  return new Promise((resolve) => {
    let received = '';
    const onData = (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes(marker)) {
        client.socket.off('data', onData);
        resolve(Date.now());
      }
    };
    client.socket.on('data', onData);
  });
}

/** A request from a well-behaved client, with the time its answer took. */
async function timedGet(url: string): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const response = await fetch(url);
  await response.text();
  return { status: response.status, ms: Date.now() - started };
}

/** Resolves with the value, or with undefined once `ms` have passed. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

// The real process, as `npm start` runs it, on the embedded database, facing clients that stop sending.
describe('slow clients', () => {
  let dataDir: string;
  let port: number;
  let base: string;
  let running: ServerProcess[];

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-slow-'));
    await copyPgliteTemplate(join(dataDir, 'pgdata'));
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    running = [];
  });
  afterEach(async () => {
    // A failed assertion must not leave a server behind.
    for (const server of running) {
      server.signal('SIGKILL');
      await server.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<ServerProcess> {
    const server = await ServerProcess.start({
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      ...env,
    });
    running.push(server);
    return server;
  }

  it('drops a request whose headers or body have not arrived within REQUEST_TIMEOUT', async () => {
    const server = await start({ REQUEST_TIMEOUT: '2s' });
    await server.waitUntilHealthy(base);

    const openedAt = Date.now();
    const clients = await Promise.all([stallMidBody(port), stallMidHeaders(port)]);
    const closes = await Promise.all(clients.map((client) => within(client.closed, 15_000)));

    for (const close of closes) {
      expect(close).toBeDefined();
      const elapsed = close!.at - openedAt;
      expect(elapsed).toBeGreaterThanOrEqual(1_500);
      expect(elapsed).toBeLessThan(5_000);
      // Answered 408 (or simply cut off), never served.
      if (close!.received !== '') expect(close!.received).toMatch(/^HTTP\/1\.1 408 /);
    }
    // Only the slow clients were dropped: the server goes on serving.
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
  }, 60_000);

  it('serves others while slowloris clients trickle a byte a second, and cuts each off at REQUEST_TIMEOUT', async () => {
    const server = await start({ REQUEST_TIMEOUT: '3s' });
    await server.waitUntilHealthy(base);

    const body = JSON.stringify({ email: 'trickled@example.com', password: PASSWORD });
    const openedAt = Date.now();
    const clients = await Promise.all([
      // Headers a byte a second: each byte is progress, and must not reset the deadline.
      ...Array.from({ length: 20 }, () =>
        trickle(
          port,
          'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ' + 'p'.repeat(200) + '\r\n\r\n',
        ),
      ),
      // Complete headers, then a body a byte a second.
      ...Array.from({ length: 5 }, () =>
        trickle(
          port,
          'POST /api/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
            `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
          1_000,
        ),
      ),
      // Connected, and never a byte.
      ...Array.from({ length: 20 }, () => openRawClient(port, '')),
    ]);

    // Meanwhile, ordinary requests are answered promptly, a real registration included.
    const during: { status: number; ms: number }[] = [];
    for (let i = 0; i < 8; i++) {
      during.push(await timedGet(`${base}/api/health/live`));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const email = 'served-meanwhile@example.com';
    expect((await post(`${base}/api/auth/register`, { email, password: PASSWORD })).status).toBe(201);
    for (const answer of during) {
      expect(answer.status).toBe(200);
      expect(answer.ms).toBeLessThan(1_000);
    }

    const closes = await Promise.all(clients.map((client) => within(client.closed, 20_000)));
    const trickled = closes.slice(0, 25);
    const silent = closes.slice(25);
    for (const close of trickled) {
      expect(close).toBeDefined();
      const elapsed = close!.at - openedAt;
      expect(elapsed).toBeGreaterThanOrEqual(2_500);
      // The deadline counts from the first byte; the sweep runs every second.
      expect(elapsed).toBeLessThan(3_000 + 3_000);
      if (close!.received !== '') expect(close!.received).toMatch(/^HTTP\/1\.1 408 /);
    }
    for (const close of silent) {
      expect(close).toBeDefined();
      expect(close!.at - openedAt).toBeLessThan(2 * 3_000 + 3_000);
      expect(close!.received).not.toMatch(/^HTTP\/1\.1 2/);
    }
    // No trickled registration got through.
    expect(
      (await post(`${base}/api/auth/login`, { email: 'trickled@example.com', password: PASSWORD })).status,
    ).toBe(401);
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
  }, 90_000);

  it('keeps serving with hundreds of idle kept-alive connections, and closes each after KEEP_ALIVE_TIMEOUT', async () => {
    const server = await start({ KEEP_ALIVE_TIMEOUT: '2s' });
    await server.waitUntilHealthy(base);
    const request = 'GET /api/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n';

    const idle = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const client = await openRawClient(port, '');
        const served = answered(client, '"ok"}');
        client.socket.write(request);
        return { client, servedAt: await served };
      }),
    );
    // A kept-alive connection that is used again before the timeout is served again on the same socket.
    const reused = idle[0];
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const again = answered(reused.client, '"ok"}');
    reused.client.socket.write(request);
    const reusedAt = await again;

    // With all of them open and idle, a new client is answered at once.
    const fresh = await timedGet(`${base}/api/health/live`);
    expect(fresh.status).toBe(200);
    expect(fresh.ms).toBeLessThan(1_000);

    const closes = await Promise.all(idle.map(({ client }) => within(client.closed, 15_000)));
    closes.forEach((close, i) => {
      expect(close).toBeDefined();
      const idleFor = close!.at - (i === 0 ? reusedAt : idle[i].servedAt);
      expect(idleFor).toBeGreaterThanOrEqual(1_500);
      expect(idleFor).toBeLessThan(2_000 + 3_000);
    });
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
  }, 90_000);

  it('exits within SHUTDOWN_GRACE of SIGTERM with stalled clients connected, keeping what it acknowledged', async () => {
    // The request timeout is longer than the test's patience: only the shutdown grace can free these sockets.
    const env = { SHUTDOWN_GRACE: '2s', REQUEST_TIMEOUT: '60s' };
    const first = await start(env);
    await first.waitUntilHealthy(base);
    const email = 'before-shutdown@example.com';
    expect((await post(`${base}/api/auth/register`, { email, password: PASSWORD })).status).toBe(201);

    const clients = await Promise.all([stallMidBody(port), stallOnKeptAliveSocket(port)]);
    // Let the server read what was sent, so both requests are truly in flight when the signal lands.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalledAt = Date.now();
    first.signal('SIGTERM');

    const exit = await within(first.exited, 15_000);
    expect(exit).toBeDefined();
    expect(Date.now() - signalledAt).toBeLessThan(2_000 + 3_000);
    // It shut itself down; nothing had to kill it.
    expect(exit!.signal === 'SIGTERM' || exit!.code === 0).toBe(true);
    for (const client of clients) expect(await within(client.closed, 1_000)).toBeDefined();
    expect(first.text).not.toContain('Error happened during shutdown');
    running.splice(running.indexOf(first), 1);

    const second = await start(env);
    await second.waitUntilHealthy(base);
    expect((await post(`${base}/api/auth/login`, { email, password: PASSWORD })).status).toBe(200);
  }, 120_000);
});
