import { FastifyError, FastifyReply } from 'fastify';
import { ErrorBody, reasonPhrase } from './http-error.filter';

/** What the client is told for the errors Fastify's router raises before any Nest code runs. */
const ANSWERS: Record<string, { status: number; message: string }> = {
  FST_ERR_BAD_URL: { status: 400, message: 'the URL is malformed' },
  // 400, not Fastify's 414: the contract answers a malformed id with 400, however it is malformed.
  FST_ERR_MAX_PARAM_LENGTH: { status: 400, message: 'a path parameter is too long' },
};

/**
 * Fastify's `frameworkErrors` option: the router's own refusals (a path that does not decode, a parameter over
 * `maxParamLength`) in Nest's error shape. Left to Fastify, they carry its internal `FST_ERR_*` code and echo the
 * raw path, which may hold whatever the client put there.
 */
export function answerFrameworkError(error: FastifyError, _request: unknown, reply: FastifyReply): void {
  const { status, message } = ANSWERS[error.code] ?? { status: 400, message: 'the request is malformed' };
  const body: ErrorBody = { statusCode: status, message, error: reasonPhrase(status) };
  void reply.status(status).send(body);
}
