import { FORM_MEDIA_TYPE, isFormMediaType, TOKEN_ENDPOINT, TokenEndpointError } from '@gatehouse/auth';
import { UnsupportedMediaTypeException } from '@nestjs/common';
import { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Bodies are JSON or nothing. Fastify and Nest also parse forms and `text/plain`, which an HTML form on any
 * site can post without a CORS preflight: accepted, they would let another site log a browser in (login CSRF) or
 * write on its user's behalf. So a request carrying any other body is refused with a 415 before a parser reads it.
 *
 * The one exception is the OAuth token endpoint, which RFC 6749 §4.4.2 makes take a form, and only a form (no
 * cookie is read and no session started there, so a cross-site form gains nothing): any other body there is
 * refused as RFC 6749 §5.2 `invalid_request`, as oidc-provider does. The route is told by the route Fastify
 * matched, not by the URL's spelling, so no encoding of its path slips past either rule.
 */
export function acceptJsonBodiesOnly(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (!carriesBody(request)) {
      done();
    } else if (isTokenRequest(request)) {
      if (isFormMediaType(request.headers['content-type'])) done();
      else done(new TokenEndpointError('invalid_request', `the body must be ${FORM_MEDIA_TYPE}`));
    } else if (isJson(request.headers['content-type'])) {
      done();
    } else {
      done(new UnsupportedMediaTypeException('the request body must be application/json'));
    }
  });
}

function isTokenRequest(request: FastifyRequest): boolean {
  return request.method === 'POST' && request.routeOptions.url === TOKEN_ENDPOINT;
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
