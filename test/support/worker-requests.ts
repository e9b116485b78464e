import { IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { ServerProcess } from './server-process';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** The X-Request-Id it was sent with: the worker's request line carries it. */
  requestId: string;
}

let sent = 0;

/**
 * One request to 127.0.0.1:`port` on a connection of its own (no keep-alive), so that the cluster hands each to the next worker in
 * turn rather than to the one that answered the last.
 */
export function call(
  port: number,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const requestId = `workers-${process.pid}-${++sent}`;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          connection: 'close',
          'x-request-id': requestId,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Record<string, unknown> = {};
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON: only the status matters then
          }
          resolve({ status: response.statusCode!, headers: response.headers, body, requestId });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

export interface LogEntry {
  pid: number;
  time: number;
  msg?: string;
  context?: string;
  req?: { id?: string };
}

export function entries(server: ServerProcess): LogEntry[] {
  return server.text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogEntry];
      } catch {
        return [];
      }
    });
}

/** The first log entry `match` accepts, waited for. */
export async function waitForEntry(
  server: ServerProcess,
  match: (entry: LogEntry) => boolean,
  what: string,
  deadlineMs = 30_000,
): Promise<LogEntry> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const found = entries(server).find(match);
    if (found) return found;
    if (Date.now() > until) throw new Error(`no log entry ${what} in time:\n${server.text.slice(-4000)}`);
    await sleep(50);
  }
}

/** The pid of the worker that answered each reply, read from the request lines of the log. */
export async function answeredBy(server: ServerProcess, replies: Reply[]): Promise<number[]> {
  const pids: number[] = [];
  for (const reply of replies) {
    const entry = await waitForEntry(
      server,
      (each) => each.req?.id === reply.requestId,
      `for request ${reply.requestId}`,
      5_000,
    );
    pids.push(entry.pid);
  }
  return pids;
}
