import { Response } from 'supertest';
import { LoggedIn, refreshCookie } from './auth-client';
import { TestApp } from './test-app';

export type LoadRoute = 'refresh' | 'me';

/** One answer the load got: which client asked what, when, how it went. Status 0: no answer in time. */
export interface LoadSample {
  readonly client: number;
  readonly instance: string;
  readonly route: LoadRoute;
  readonly status: number;
  /** When the request was sent, on Date.now()'s clock. */
  readonly sentAt: number;
  readonly ms: number;
  /** Whether the answer carried any Set-Cookie header. */
  readonly setsCookie: boolean;
  /** Which of the client's refresh cookies it sent: 0 for the login's, +1 after each rotation it received. */
  readonly cookieGeneration: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Signed-in clients, each in a loop as a browser tab behaves: refresh with the cookie it holds (keeping it unless
 * a new one comes back), then call a guarded route with its access token, then pause briefly. Every answer is
 * recorded; a request without an answer within `boundMs` is recorded as status 0 and the loop goes on.
 */
export class SessionLoad {
  readonly samples: LoadSample[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly clients: { instance: string; app: TestApp; session: LoggedIn }[],
    private readonly boundMs: number,
    private readonly pauseMs = 25,
  ) {}

  start(): void {
    this.running = true;
    this.loops = this.clients.map((client, index) =>
      this.loop(index, client.instance, client.app, client.session),
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(client: number, instance: string, app: TestApp, session: LoggedIn): Promise<void> {
    let cookie = session.cookie;
    let accessToken = session.accessToken;
    let cookieGeneration = 0;
    while (this.running) {
      const refreshed = await this.send(client, instance, 'refresh', cookieGeneration, () =>
        app.http().post('/api/auth/refresh').set('Cookie', cookie),
      );
      const rotated = refreshed?.status === 200 ? refreshCookie(refreshed) : undefined;
      if (refreshed && rotated) {
        cookie = rotated;
        accessToken = refreshed.body.accessToken as string;
        cookieGeneration += 1;
      }
      await this.send(client, instance, 'me', cookieGeneration, () =>
        app.http().get('/api/users/me').set('Authorization', `Bearer ${accessToken}`),
      );
      await sleep(this.pauseMs);
    }
  }

  private async send(
    client: number,
    instance: string,
    route: LoadRoute,
    cookieGeneration: number,
    request: () => { timeout(ms: number): PromiseLike<Response> },
  ): Promise<Response | undefined> {
    const sentAt = Date.now();
    let response: Response | undefined;
    try {
      response = await request().timeout(this.boundMs);
    } catch {
      response = undefined;
    }
    this.samples.push({
      client,
      instance,
      route,
      status: response?.status ?? 0,
      sentAt,
      ms: Date.now() - sentAt,
      setsCookie: response?.headers['set-cookie'] !== undefined,
      cookieGeneration,
    });
    return response;
  }
}
