import { SerializeOptions } from '@fastify/cookie';
import { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Cookies read and written by the few routes that use them, with @fastify/cookie's parser and serializer. The
 * plugin is registered without its hooks (`hook: false`): they parsed every request's cookies and ran an extra
 * send step on every response, a fifth of a small request's cost, for the handful of routes that set one.
 */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  return header ? request.server.parseCookie(header)[name] : undefined;
}

/** Sets the cookie on the answer, replacing one of the same name set earlier in the same request. */
export function writeCookie(
  reply: FastifyReply,
  name: string,
  value: string,
  options: SerializeOptions,
): void {
  const set = reply.getHeader('set-cookie');
  const earlier = (Array.isArray(set) ? set : set === undefined ? [] : [String(set)]).filter(
    (cookie) => !cookie.startsWith(`${name}=`),
  );
  void reply.removeHeader('set-cookie');
  for (const cookie of [...earlier, reply.server.serializeCookie(name, value, options)]) {
    void reply.header('set-cookie', cookie);
  }
}
