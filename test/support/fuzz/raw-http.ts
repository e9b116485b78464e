import { request } from 'node:http';
import type { FuzzRequest } from './fuzz-requests';

export interface Answer {
  /** Absent when the server closed the connection without answering. */
  status?: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  elapsedMs: number;
  /** Why no answer arrived: a reset, or the client's own deadline. */
  failure?: string;
}

/**
 * Sends a request byte for byte as generated (node:http, not fetch, which would normalise the path and refuse
 * hostile headers), on a connection of its own so that no request inherits what the last did to its socket, and
 * waits at most `deadlineMs` for the whole answer.
 */
export function send(port: number, fuzz: FuzzRequest, deadlineMs: number): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: Omit<Answer, 'elapsedMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...answer, elapsedMs: performance.now() - started });
    };
    const headers: Record<string, string | number> = { ...fuzz.headers };
    if (fuzz.body && !('transfer-encoding' in headers)) headers['content-length'] = fuzz.body.length;
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        method: fuzz.method,
        path: fuzz.path,
        headers,
        agent: false,
        timeout: deadlineMs,
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          finish({
            status: incoming.statusCode,
            headers: incoming.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        incoming.on('error', (error) =>
          finish({
            status: incoming.statusCode,
            headers: incoming.headers,
            text: '',
            failure: error.message,
          }),
        );
      },
    );
    outgoing.on('timeout', () => {
      outgoing.destroy();
      finish({ headers: {}, text: '', failure: `no answer within ${deadlineMs} ms` });
    });
    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      finish({ headers: {}, text: '', failure: error.code ?? error.message }),
    );
    outgoing.end(fuzz.body);
  });
}
