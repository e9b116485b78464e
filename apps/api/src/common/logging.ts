import { AppConfig } from '@gatehouse/config';
import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { Logger as NestPinoLogger, PinoLogger } from 'nestjs-pino';
import { pino, DestinationStream, Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import { Answered } from './when-answered';

// Whatever carries a credential: headers, and any body or object field named for one.
const SECRET_FIELDS = [
  'password',
  'currentPassword',
  'newPassword',
  'accessToken',
  'refreshToken',
  'token',
  'mfaToken',
  'code',
  'recoveryCode',
  'recoveryCodes',
  'secret',
  'otpauthUrl',
];
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  // A DPoP proof is single-use and bound to its request, but it is still a signed credential.
  'req.headers.dpop',
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
  ...SECRET_FIELDS.map((field) => `*.*.${field}`),
];

/**
 * Human-readable lines for a person at a terminal. A stream in this process, fed the JSON pino has already
 * redacted, so it can print no more than the JSON would; written synchronously, so a line logged just before
 * exit is never lost (a `transport` would format in a worker thread that the exit can outrun).
 */
function prettyLines(destination?: DestinationStream): DestinationStream {
  return pinoPretty({
    destination: destination ?? 1,
    sync: true,
    colorize: destination === undefined && process.stdout.isTTY === true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}

/** A client's own `X-Request-Id` when it is a plain token, else a new UUID: the id the request's log line carries. */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
}

/**
 * The app's one logger: JSON on stdout (or the given stream), or, with LOG_FORMAT=pretty, the same entries as
 * human-readable lines; secrets redacted before any formatting.
 */
export function appLogger(config: AppConfig, destination?: DestinationStream): Logger {
  const stream = config.log.format === 'pretty' ? prettyLines(destination) : destination;
  return pino(
    {
      level: config.log.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    stream as DestinationStream,
  );
}

/**
 * The Nest logger of one app: nestjs-pino's `Logger` (Nest's messages and contexts as pino entries) writing to
 * this app's own pino, not to the module-wide logger `LoggerModule` keeps, which the first app of a process would
 * own for good. `LoggerModule`'s per-request middleware is left out too: the request line comes from
 * `requestLine`, run by the app's one `onResponse` hook, at a fraction of the cost of the middleware's child logger and async context.
 */
export function nestLogger(logger: Logger): NestPinoLogger {
  // nestjs-pino's Logger calls the methods PinoLogger and a pino logger share: info(obj, msg), warn(obj, msg), …
  return new NestPinoLogger(logger as unknown as PinoLogger, {});
}

function levelOf(status: number): 'info' | 'warn' | 'error' {
  return status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
}

/**
 * One line per request once it is answered: method, path without the query string (where a careless client
 * would put a credential), status, request id, user agent and time taken. Nothing is built when the level is off.
 */
export function requestLine(logger: Logger): Answered {
  return (request, reply) => {
    const level = levelOf(reply.statusCode);
    if (!logger.isLevelEnabled(level)) return;
    const url = request.url;
    const query = url.indexOf('?');
    logger[level](
      {
        req: {
          id: request.id,
          method: request.method,
          path: query === -1 ? url : url.slice(0, query),
          userAgent: request.headers['user-agent'],
        },
        res: { statusCode: reply.statusCode },
        responseTime: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
  };
}
