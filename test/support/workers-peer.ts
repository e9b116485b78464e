import { AppConfig } from '@gatehouse/config';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { HttpTarget } from './auth-client';
import { freePort, ServerProcess } from './server-process';
import { Env, TestApp } from './test-app';

/**
 * Another instance beside a TestApp: the real server process with WORKERS=2 (a cluster primary and two workers)
 * on the app's database and keys. Every request goes on a connection of its own, so that consecutive requests
 * are handed to alternate workers.
 */
export class WorkersPeer implements HttpTarget {
  private constructor(
    private readonly server: ServerProcess,
    private readonly baseUrl: string,
  ) {}

  static async start(of: TestApp, redisUrl: string, env: Env = {}): Promise<WorkersPeer> {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const server = await ServerProcess.start({
      ...of.env,
      // Info: the primary's line that both workers listen.
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      WORKERS: '2',
      REDIS_URL: redisUrl,
      // Behind one load balancer, instances share its public address, and so the issuer of their tokens.
      PUBLIC_URL: of.app.get(AppConfig).urls.publicUrl,
      ...env,
    });
    const peer = new WorkersPeer(server, baseUrl);
    await server.waitUntilHealthy(baseUrl, 90_000);
    // Healthy means one worker listens; the primary speaks once both do.
    const until = Date.now() + 60_000;
    while (!/listening on .* with 2 workers/.test(server.text)) {
      if (Date.now() > until) throw new Error(`the second worker did not start:\n${server.text}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return peer;
  }

  http(): TestAgent {
    return request.agent(this.baseUrl).set('Connection', 'close');
  }

  /** SIGTERM to the primary, which stops both workers. */
  async stop(): Promise<void> {
    this.server.signal('SIGTERM');
    await this.server.exited;
  }
}
