import { FastifyInstance } from 'fastify';

/** Once the sockets are gone, the time left for the database and the rest to close before the process gives up. */
const CLOSE_MARGIN_MS = 5_000;

/**
 * Drains the HTTP server when it closes: every response still in flight carries `Connection: close`, so its
 * keep-alive connection ends with the response instead of holding the close open, and connections still open
 * `graceSeconds` later (a client that stalled mid-request, a request that never finishes) are closed, so the close
 * completes and the database can be shut down after it.
 */
export function drainConnectionsOnClose(fastify: FastifyInstance, graceSeconds: number): void {
  let closing = false;
  let deadline: NodeJS.Timeout | undefined;
  fastify.addHook('preClose', (done) => {
    closing = true;
    // Fires only when connections outlast the grace; never what keeps a process alive.
    deadline = setTimeout(() => fastify.server.closeAllConnections(), graceSeconds * 1000).unref();
    fastify.server.once('close', () => clearTimeout(deadline));
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
}

/**
 * The last resort after a shutdown signal: if the clean close (delay, drain, then database) has not ended the
 * process within `limitSeconds` (SHUTDOWN_DELAY + SHUTDOWN_GRACE) and a margin, say so and exit, so that a stuck hook never leaves a half-closed server running.
 */
export function exitIfShutdownOverruns(
  limitSeconds: number,
  report: (message: string) => void,
  signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): void {
  const start = (signal: NodeJS.Signals) => {
    for (const other of signals) process.removeListener(other, start);
    const limitMs = limitSeconds * 1000 + CLOSE_MARGIN_MS;
    setTimeout(() => {
      report(
        `Shutdown after ${signal} did not finish within ${limitMs} ms (SHUTDOWN_DELAY + SHUTDOWN_GRACE + margin); exiting`,
      );
      process.exit(1);
    }, limitMs).unref();
  };
  for (const signal of signals) process.once(signal, start);
}
