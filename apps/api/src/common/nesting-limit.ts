import { BadRequestException } from '@nestjs/common';
import { FastifyInstance } from 'fastify';

/** Deeper than any body a route defines (a passkey credential is four levels), shallow enough for any walker. */
export const MAX_BODY_DEPTH = 32;

/**
 * How deeply a parsed JSON value nests, counted without recursion and given up on past `limit`: a hostile body
 * such as `[[[…]]]` 20,000 levels deep parses fine but overflows the stack of every recursive walker after it
 * (the validation pipe's prototype stripping was the first), which would answer 500.
 */
export function nestingDepth(value: unknown, limit = MAX_BODY_DEPTH): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length) {
    const [current, depth] = pending.pop()!;
    if (current === null || typeof current !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/** Refuses, with a 400, a body nested deeper than `MAX_BODY_DEPTH`, before anything else walks it. */
export function refuseDeeplyNestedBodies(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    if (nestingDepth(request.body) > MAX_BODY_DEPTH)
      done(new BadRequestException(`the request body nests deeper than ${MAX_BODY_DEPTH} levels`));
    else done();
  });
}
