import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable, isError, refusedWrite } from './database-errors';

export interface ErrorBody {
  statusCode: number;
  message: string | string[];
  error: string;
}

export function reasonPhrase(status: number): string {
  const name = HttpStatus[status] as string | undefined;
  if (!name) return 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

/** Turns any HttpException into Nest's error shape, keeping only the parts meant for the client. */
function httpErrorBody(exception: HttpException): ErrorBody {
  const status = exception.getStatus();
  const response = exception.getResponse();
  const fallback = reasonPhrase(status);
  if (typeof response === 'string') return { statusCode: status, message: response, error: fallback };
  const { message, error } = response as { message?: unknown; error?: unknown };
  const text =
    typeof message === 'string' || (Array.isArray(message) && message.every((m) => typeof m === 'string'))
      ? message
      : fallback;
  return { statusCode: status, message: text, error: typeof error === 'string' ? error : fallback };
}

/**
 * The one place errors become responses: Nest's shape for every error, including Fastify's own (bad JSON,
 * body too large), a 503 when the database is out of reach, a 400 or 409 when it refuses the data it was
 * given, and for anything unexpected a bare 500 whose details go to the log under the request id, never to the
 * client. An exception carrying its own `answer` (the OAuth token endpoint's) is sent as it is.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    // A client that hung up mid-request (its body cut short) is no fault of ours, and there is no one to answer.
    if (reply.raw?.destroyed) {
      this.log.debug({ reqId: request.id }, 'client closed the connection before the answer');
      return;
    }
    let body: ErrorBody;
    const refused = refusedWrite(exception);
    if (exception instanceof HttpException) {
      for (const [name, value] of Object.entries(headersOf(exception))) void reply.header(name, value);
      const answer = ownAnswer(exception);
      if (answer) {
        void reply.status(exception.getStatus()).send(answer);
        return;
      }
      body = httpErrorBody(exception);
    } else if (refused) {
      body = { statusCode: refused.status, message: refused.message, error: reasonPhrase(refused.status) };
      // Validation should have caught it first: the SQLSTATE says what slipped through.
      this.log.warn(
        { reqId: request.id, sqlState: refused.sqlState, err: summarize(exception) },
        'database refused the data',
      );
    } else if (isDatabaseUnavailable(exception)) {
      body = { statusCode: 503, message: 'the service is temporarily unavailable', error: reasonPhrase(503) };
      this.log.warn({ reqId: request.id, err: summarize(exception) }, 'database unavailable');
    } else {
      body = { statusCode: 500, message: 'Internal server error', error: reasonPhrase(500) };
      this.log.error({ reqId: request.id, err: summarize(exception) }, 'unhandled error');
    }
    void reply.status(body.statusCode).send(body);
  }
}

/** Headers an exception asks to be answered with (`WWW-Authenticate` of RFC 9470's step-up, say). */
function headersOf(exception: HttpException): Record<string, string> {
  const headers = (exception as { headers?: unknown }).headers;
  if (typeof headers !== 'object' || headers === null) return {};
  return Object.fromEntries(
    Object.entries(headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/**
 * The body of an exception that answers in another protocol's error format (RFC 6749 §5.2 at the OAuth token
 * endpoint, where client libraries expect `{error, error_description}`): sent as it is, with the exception's
 * status and headers. Such an exception builds `answer` for the client and puts nothing internal in it.
 */
function ownAnswer(exception: HttpException): object | undefined {
  const answer = (exception as { answer?: unknown }).answer;
  return typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? answer : undefined;
}

/** What an error may put in the log: its kind, message and stack, never the query parameters it carries. */
function summarize(error: unknown): Record<string, unknown> {
  if (!isError(error)) return { message: String(error) };
  return { type: error.name, message: error.message, stack: error.stack };
}
