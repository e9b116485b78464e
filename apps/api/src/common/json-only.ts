import { UnsupportedMediaTypeException } from '@nestjs/common';
import { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Bodies are JSON or nothing. Fastify and Nest also parse forms and `text/plain`, which an HTML form on any
 * site can post without a CORS preflight: accepted, they would let another site log a browser in (login CSRF) or
 * write on its user's behalf. So a request carrying any other body is refused with a 415 before a parser reads it.
 */
export function acceptJsonBodiesOnly(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (carriesBody(request) && !isJson(request.headers['content-type']))
      done(new UnsupportedMediaTypeException('the request body must be application/json'));
    else done();
  });
}

/** Fastify's own test for a body to parse: announced by Transfer-Encoding or a non-zero Content-Length. */
function carriesBody(request: FastifyRequest): boolean {
  const { 'transfer-encoding': transferEncoding, 'content-length': contentLength } = request.headers;
  return transferEncoding !== undefined || (contentLength !== undefined && contentLength !== '0');
}

/**
 * `application/json`, with any parameters (RFC 8259 defines none; JSON is UTF-8 whatever a charset says). `+json`
 * types are refused: no route defines one, and `application/merge-patch+json` gives `null` a meaning ("remove")
 * that these routes refuse.
 */
function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';', 1)[0].trim().toLowerCase() === 'application/json';
}
