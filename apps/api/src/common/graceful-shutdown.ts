import { FastifyInstance } from 'fastify';

/**
 * Once shutdown begins, answers every request still in flight with `Connection: close`, so its keep-alive
 * connection ends with the response instead of holding the close open until the keep-alive timeout.
 */
export function closeConnectionsOnShutdown(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
}
