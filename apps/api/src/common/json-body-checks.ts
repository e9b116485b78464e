import { BadRequestException } from '@nestjs/common';
import { FastifyInstance } from 'fastify';

/** Deeper than any body a route defines (a passkey credential is four levels), shallow enough for any walker. */
export const MAX_BODY_DEPTH = 32;

/** With the `u` flag a surrogate pair is one code point: only a lone half matches. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * What is wrong with a parsed JSON body that every route would have to fear, or undefined. Walked once, without
 * recursion, and given up on at the first fault:
 * - nesting past `MAX_BODY_DEPTH`: `[[[…]]]` 20,000 levels deep parses, then overflows the stack of every
 *   recursive walker after it (the validation pipe's prototype stripping was the first), a 500;
 * - a string or key that is not well-formed UTF-16 (a lone surrogate, written `"\ud800"` in JSON): it cannot
 *   be stored as text, and the email validator throws on it, a 500 again.
 */
export function jsonBodyFault(value: unknown, maxDepth = MAX_BODY_DEPTH): string | undefined {
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length) {
    const [current, depth] = pending.pop()!;
    if (typeof current === 'string') {
      if (LONE_SURROGATE.test(current)) return 'the request body holds text that is not valid Unicode';
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth > maxDepth) return `the request body nests deeper than ${maxDepth} levels`;
    for (const [key, child] of Object.entries(current)) {
      if (LONE_SURROGATE.test(key)) return 'the request body holds text that is not valid Unicode';
      pending.push([child, depth + 1]);
    }
  }
  return undefined;
}

/** Refuses, with a 400, a body `jsonBodyFault` finds fault with, before anything else walks it. */
export function refuseUnsafeJsonBodies(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    const fault = jsonBodyFault(request.body);
    if (fault) done(new BadRequestException(fault));
    else done();
  });
}
