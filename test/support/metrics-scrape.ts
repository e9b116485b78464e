import { request as httpRequest } from 'node:http';
import { Reply } from './worker-requests';

/** A reply as the workers suite reads it (`answeredBy` finds the worker that sent it), with its text. */
export interface ScrapeReply extends Reply {
  /** The body as sent: the exposition text when the status is 200. */
  text: string;
  /** How long the answer took, in ms. */
  elapsedMs: number;
}

let sent = 0;

/**
 * `GET /api/metrics` on 127.0.0.1:`port` with the metrics token, on a connection of its own (no keep-alive), so that
 * a cluster hands consecutive scrapes to its workers in turn.
 */
export function scrapeMetrics(port: number, token: string): Promise<ScrapeReply> {
  const requestId = `scrape-${process.pid}-${++sent}`;
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'GET',
        path: '/api/metrics',
        agent: false,
        headers: { connection: 'close', 'x-request-id': requestId, authorization: `Bearer ${token}` },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Record<string, unknown> = {};
          if (response.headers['content-type']?.startsWith('application/json')) {
            body = JSON.parse(text) as Record<string, unknown>;
          }
          resolve({
            status: response.statusCode!,
            headers: response.headers,
            body,
            text,
            requestId,
            elapsedMs: Date.now() - startedAt,
          });
        });
      },
    );
    request.on('error', reject);
    request.end();
  });
}
