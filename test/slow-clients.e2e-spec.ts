import { mkdtempSync, rmSync } from 'node:fs';
import { Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSWORD } from './support/auth-client';
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

  function start(env: Record<string, string>): ServerProcess {
    const server = new ServerProcess({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ...env });
    running.push(server);
    return server;
  }

  it('drops a request whose headers or body have not arrived within REQUEST_TIMEOUT', async () => {
    const server = start({ REQUEST_TIMEOUT: '2s' });
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

  it('exits within SHUTDOWN_GRACE of SIGTERM with stalled clients connected, keeping what it acknowledged', async () => {
    // The request timeout is longer than the test's patience: only the shutdown grace can free these sockets.
    const env = { SHUTDOWN_GRACE: '2s', REQUEST_TIMEOUT: '60s' };
    const first = start(env);
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

    const second = start(env);
    await second.waitUntilHealthy(base);
    expect((await post(`${base}/api/auth/login`, { email, password: PASSWORD })).status).toBe(200);
  }, 120_000);
});
