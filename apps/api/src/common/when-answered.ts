import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Work done once a request has been answered: it must be quick and must not throw. */
export type Answered = (request: FastifyRequest, reply: FastifyReply) => void;

/**
 * One `onResponse` hook for everything done after the answer (the request line, the request metrics): each hook
 * of its own cost every request another step of Fastify's hook runner.
 */
export function whenAnswered(fastify: FastifyInstance, ...work: Answered[]): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    for (const answered of work) answered(request, reply);
    done();
  });
}
