import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** One request as the receiver got it, and what it answered. */
export interface ReceivedRequest {
  readonly path: string;
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
  /** The status answered; `undefined` while held, `'dropped'` when the connection was cut instead. */
  status?: number | 'dropped';
}

/** What to do with the next requests to one path. */
type Plan =
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  | { kind: 'drop' }
  | { kind: 'silence' }
  | { kind: 'hold'; held: (request: HeldRequest) => void };

/** A request the receiver is holding unanswered, until the test answers it (or never does). */
export interface HeldRequest {
  readonly request: ReceivedRequest;
  answer(status: number): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A real HTTP server standing in for the systems webhooks are sent to: it records every request (headers and body
 * as received) and answers `200` unless told otherwise for a path: fail the next N requests with a status, cut the
 * connection, never answer, or hold a request for the test to answer.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Every answer carries this body, which must never reach the app's logs. */
  readonly answerBody = `receiver-answer-${Math.random().toString(36).slice(2)}`;
  /** Per path: the plans for the next requests, one each, and the one for every request after them. */
  private readonly plans = new Map<string, { next: Plan[]; always?: Plan }>();
  private readonly open = new Set<ServerResponse>();
  private delayMs = 0;
  private port = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    const receiver: WebhookReceiver = new WebhookReceiver(
      createServer((request, response) => void receiver.handle(request, response)),
    );
    await receiver.listen(0);
    return receiver;
  }

  /** The URL of a path on this receiver, as an endpoint's `url`. */
  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Answers the next `count` requests to `path` with `status` (and `headers`), then 200 again. */
  failNext(path: string, count: number, status = 503, headers?: Record<string, string>): void {
    this.plan(path, count, { kind: 'status', status, headers });
  }

  /** Answers every request to `path` with `status` from now on (until `reset`). */
  alwaysAnswer(path: string, status: number): void {
    this.plan(path, Infinity, { kind: 'status', status });
  }

  /** Cuts the connection of the next `count` requests to `path` once their bodies have arrived. */
  dropNext(path: string, count = 1): void {
    this.plan(path, count, { kind: 'drop' });
  }

  /** Never answers the next `count` requests to `path` (the sender's timeout must end them). */
  ignoreNext(path: string, count = 1): void {
    this.plan(path, count, { kind: 'silence' });
  }

  /** Holds the next request to `path` unanswered; resolves with it once it has arrived. */
  holdNext(path: string): Promise<HeldRequest> {
    return new Promise((held) => this.plan(path, 1, { kind: 'hold', held }));
  }

  /** Waits this long before answering anything (several senders then overlap). */
  delayAnswers(ms: number): void {
    this.delayMs = ms;
  }

  reset(path: string): void {
    this.plans.delete(path);
  }

  /** The requests to `path`, in the order they arrived. */
  to(path: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  /** The requests to `path` answered with a 2xx: what the receiver took as delivered. */
  accepted(path: string): ReceivedRequest[] {
    return this.to(path).filter((request) => typeof request.status === 'number' && request.status < 300);
  }

  /** Waits until `probe` holds, for at most `timeoutMs`. */
  async until(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!probe()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(50);
    }
  }

  /** Stops listening and cuts whatever is still open. */
  async stop(): Promise<void> {
    for (const response of this.open) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private plan(path: string, count: number, plan: Plan): void {
    const plans = this.plans.get(path) ?? { next: [] };
    if (count === Infinity) plans.always = plan;
    else for (let i = 0; i < count; i++) plans.next.push(plan);
    this.plans.set(path, plans);
  }

  private nextPlan(path: string): Plan | undefined {
    const plans = this.plans.get(path);
    return plans?.next.shift() ?? plans?.always;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve) =>
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      }),
    );
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const received: ReceivedRequest = {
      path: request.url ?? '',
      method: request.method ?? '',
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: Date.now(),
    };
    this.requests.push(received);
    const plan = this.nextPlan(received.path);
    if (this.delayMs > 0) await sleep(this.delayMs);
    const answer = (status: number, headers: Record<string, string> = {}) => {
      received.status = status;
      this.open.delete(response);
      response.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(this.answerBody);
    };
    switch (plan?.kind) {
      case undefined:
        return answer(200);
      case 'status':
        return answer(plan.status, plan.headers);
      case 'drop':
        received.status = 'dropped';
        response.socket?.destroy();
        return;
      case 'silence':
        this.open.add(response);
        return;
      case 'hold':
        this.open.add(response);
        plan.held({ request: received, answer });
    }
  }
}
