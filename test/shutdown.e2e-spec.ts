import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSWORD } from './support/auth-client';
import { ServerProcess, freePort } from './support/server-process';

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

// The real process, as `npm start` runs it, on the embedded database.
describe('the server process', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-process-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to start on a wrong setting, naming the variable, with no stack trace', async () => {
    const server = await ServerProcess.start({ DATA_DIR: dataDir, PORT: 'eighty', ACCESS_TOKEN_TTL: 'soon' });
    const { code } = await server.exited;
    expect(code).toBe(1);
    expect(server.text).toContain('PORT');
    expect(server.text).toContain('ACCESS_TOKEN_TTL');
    expect(server.text).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('drains in-flight requests on SIGTERM and loses nothing it acknowledged', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      THROTTLE_REGISTER_LIMIT: '1000',
      THROTTLE_LOGIN_LIMIT: '1000',
    };
    const first = await ServerProcess.start(env);
    await first.waitUntilHealthy(base);

    const emails = Array.from({ length: 16 }, (_, i) => `drain-${i}@example.com`);
    // Registrations hash passwords with argon2 a bounded number at a time, so most of these wait in the
    // server's queue: SIGTERM lands while they are in flight.
    const answers = emails.map((email) =>
      post(`${base}/api/auth/register`, { email, password: PASSWORD }).then(
        (response) => ({ status: response.status, at: Date.now() }),
        () => ({ status: 0, at: Date.now() }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    const signalledAt = Date.now();
    first.signal('SIGTERM');
    const settled = await Promise.all(answers);
    await first.exited;

    const acknowledged = emails.filter((_, i) => settled[i].status === 201);
    // Requests already received finish after the signal instead of being cut off...
    expect(
      settled.filter((answer) => answer.status === 201 && answer.at > signalledAt).length,
    ).toBeGreaterThan(0);
    // ...and nothing fails with an error: a request is either served or refused before it was accepted.
    for (const answer of settled) expect([201, 503, 0]).toContain(answer.status);

    const second = await ServerProcess.start(env);
    await second.waitUntilHealthy(base);
    try {
      for (const email of acknowledged) {
        const login = await post(`${base}/api/auth/login`, { email, password: PASSWORD });
        expect(login.status).toBe(200);
      }
    } finally {
      second.signal('SIGTERM');
      await second.exited;
    }
  }, 120_000);
});
