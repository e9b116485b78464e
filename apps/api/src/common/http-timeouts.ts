import { FastifyHttpOptions } from 'fastify';
import { Server } from 'node:http';

type TimeoutOptions = Pick<
  FastifyHttpOptions<Server>,
  'requestTimeout' | 'connectionTimeout' | 'keepAliveTimeout' | 'http'
>;

/** Longer than the 60 s idle timeout of common proxies, so they close an idle connection first, never us mid-reuse. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * The server's socket timeouts, derived from `REQUEST_TIMEOUT`, so that a client that stops sending (or stops
 * reading) cannot hold a connection, and with it the shutdown, for ever. Fastify's own defaults wait indefinitely.
 */
export function httpTimeouts(requestTimeoutSeconds: number): TimeoutOptions {
  const requestTimeoutMs = requestTimeoutSeconds * 1000;
  return {
    // Headers and body, all of it, must have arrived by then; Node answers 408 and closes the socket.
    requestTimeout: requestTimeoutMs,
    // A socket on which nothing moves at all (a client that stopped reading its response) is closed after this;
    // twice the request timeout, so it never cuts off a request that the request timeout still allows.
    connectionTimeout: 2 * requestTimeoutMs,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    http: {
      // Node's 60 s default would exceed the request timeout; headers get no more time than the whole request.
      headersTimeout: requestTimeoutMs,
      // Node enforces both timeouts only when it sweeps its connections (every 30 s by default): sweep often
      // enough that a request is dropped close to its deadline.
      connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs / 2),
    },
  };
}
