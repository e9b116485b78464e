import { AppConfig } from '@gatehouse/config';
import { RequestMethod } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { Params } from 'nestjs-pino';
import { DestinationStream } from 'pino';
import pinoPretty from 'pino-pretty';

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

/**
 * One line per request and per security event, secrets redacted before any formatting: JSON on stdout (or the
 * given stream), or, with LOG_FORMAT=pretty, the same entries as human-readable lines.
 */
export function loggingParams(config: AppConfig, destination?: DestinationStream): Params {
  const stream = config.log.format === 'pretty' ? prettyLines(destination) : destination;
  return {
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    pinoHttp: [
      {
        level: config.log.level,
        redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
        genReqId: (request: IncomingMessage) => {
          const given = request.headers['x-request-id'];
          return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
        },
        customLogLevel: (_request, response, error) =>
          error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
        serializers: {
          // The query string is left out: it is where a careless client would put a credential.
          req: (request: { id: string; method: string; url: string; headers: Record<string, unknown> }) => ({
            id: request.id,
            method: request.method,
            path: request.url.split('?')[0],
            userAgent: request.headers['user-agent'],
          }),
          res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
        },
      },
      stream as DestinationStream,
    ],
  };
}
