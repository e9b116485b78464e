import { AppConfig } from '@gatehouse/config';
import { FastifyHttpOptions } from 'fastify';
import { Server } from 'node:http';

type TimeoutOptions = Pick<
  FastifyHttpOptions<Server>,
  'requestTimeout' | 'connectionTimeout' | 'keepAliveTimeout' | 'http'
>;

/**
 * The server's socket timeouts, from `REQUEST_TIMEOUT` and `KEEP_ALIVE_TIMEOUT`, so that a client that stops
 * sending, sends a byte at a time, stops reading, or just holds a connection open, cannot hold it (and with it
 * the shutdown) for ever. Fastify's own defaults wait indefinitely.
 */
export function httpTimeouts(
  http: Pick<AppConfig['http'], 'requestTimeout' | 'keepAliveTimeout'>,
): TimeoutOptions {
  const requestTimeoutMs = http.requestTimeout * 1000;
  return {
    // Headers and body, all of it, must have arrived by then, however steadily they trickle in; Node answers 408.
    requestTimeout: requestTimeoutMs,
    // A socket on which nothing moves at all (a client that stopped reading its response) is closed after this;
    // twice the request timeout, so it never cuts off a request that the request timeout still allows.
    connectionTimeout: 2 * requestTimeoutMs,
    // Idle between requests: longer than the 60 s idle timeout of common proxies by default, so that they close
    // an idle connection first, never the server in the moment the proxy reuses it.
    keepAliveTimeout: http.keepAliveTimeout * 1000,
    http: {
      // Node's 60 s default would exceed the request timeout; headers get no more time than the whole request.
      headersTimeout: requestTimeoutMs,
      // Node enforces both timeouts only when it sweeps its connections (every 30 s by default): sweep often
      // enough that a request is dropped close to its deadline.
      connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs / 2),
    },
  };
}
