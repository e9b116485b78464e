import type { FuzzRequest } from './fuzz-requests';
import type { Answer } from './raw-http';

/** What a stack trace, a driver, an ORM, SQL or the file system looks like when it escapes into an answer. */
const LEAKS =
  /\bat [\w.<>]+ \(|\.[jt]s:\d+|node_modules|\/work\/|\/tmp\/|QueryFailed|EntityNotFound|TypeORM|typeorm|PGlite|pglite|\bpg_|SELECT .* FROM|INSERT INTO|UPDATE \w+ SET|DELETE FROM|duplicate key|violates .* constraint|relation "|column "|syntax error at|invalid input syntax|Cannot read propert|is not a function|is not defined|Maximum call stack|ECONNREFUSED|FST_ERR|ERR_[A-Z_]{4,}|Unexpected token|in JSON at position|TypeError|RangeError|ReferenceError|SyntaxError/;

/** Answers Node's HTTP parser gives before the app sees the request: no body, nothing to leak. */
const PROTOCOL_REFUSALS = new Set([400, 408, 413, 414, 431]);

/** Limits of what was sent, beyond which the server may drop the connection instead of answering. */
const HEADER_BYTES_NODE_REFUSES = 16 * 1024;
const BODY_BYTES_OVER_LIMIT = 100 * 1024;

function headerBytes(request: FuzzRequest): number {
  return Object.entries(request.headers).reduce(
    (n, [k, v]) => n + k.length + v.length + 4,
    request.path.length,
  );
}

/**
 * How a route words its errors: Nest's shape, or (the OAuth token endpoint) RFC 6749 §5.2's `{error,
 * error_description}` for what the endpoint itself refuses, beside Nest's shape for what every route may answer
 * before it (a body over the limit, too many requests).
 */
export type ErrorFormat = 'nest' | 'oauth';

/** RFC 6749 §5.2: exactly `error` and `error_description`, the description in the ASCII the RFC allows. */
function tokenErrorProblems(body: Record<string, unknown>, status: number): string[] | undefined {
  const keys = Object.keys(body).sort();
  if (keys.length !== 2 || keys[0] !== 'error' || keys[1] !== 'error_description') return undefined;
  const problems: string[] = [];
  if (typeof body.error !== 'string' || !/^[a-z_]+$/.test(body.error)) problems.push('an odd error code');
  if (
    typeof body.error_description !== 'string' ||
    !/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(body.error_description)
  )
    problems.push('error_description outside the ASCII RFC 6749 allows');
  if (status !== 400 && status !== 401) problems.push(`an RFC 6749 error in a ${status}`);
  return problems;
}

/** Everything wrong with one answer, by the contract's rules for errors; empty when it is fine. */
export function problemsWith(
  request: FuzzRequest,
  answer: Answer,
  deadlineMs: number,
  format: ErrorFormat = 'nest',
): string[] {
  const problems: string[] = [];
  if (answer.status === undefined) {
    // A reset is a fair answer to headers Node refuses or a body far over the limit: both are cut off early.
    const oversized =
      headerBytes(request) > HEADER_BYTES_NODE_REFUSES || (request.body?.length ?? 0) > BODY_BYTES_OVER_LIMIT;
    if (!oversized || answer.elapsedMs >= deadlineMs) problems.push(`no answer: ${answer.failure}`);
    return problems;
  }
  if (answer.status >= 500) problems.push(`status ${answer.status}`);
  if (answer.elapsedMs > deadlineMs) problems.push(`answered after ${Math.round(answer.elapsedMs)} ms`);
  if (LEAKS.test(answer.text)) problems.push(`leaks ${LEAKS.exec(answer.text)![0]}`);
  if (answer.status < 400) return problems;
  const contentType = String(answer.headers['content-type'] ?? '');
  if (!contentType.startsWith('application/json')) {
    if (!(PROTOCOL_REFUSALS.has(answer.status) && answer.text === ''))
      problems.push(`error as ${contentType || 'no content type'}`);
    return problems;
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    return [...problems, 'error body is not JSON'];
  }
  const tokenError = format === 'oauth' ? tokenErrorProblems(body, answer.status) : undefined;
  if (tokenError) return [...problems, ...tokenError];
  if (body.statusCode !== answer.status)
    problems.push(`statusCode ${String(body.statusCode)} in a ${answer.status}`);
  if (typeof body.error !== 'string') problems.push('no error name');
  const message = body.message;
  if (!(
    typeof message === 'string' ||
    (Array.isArray(message) && message.every((m) => typeof m === 'string'))
  ))
    problems.push('message neither a string nor strings');
  const extra = Object.keys(body).filter((k) => !['statusCode', 'message', 'error'].includes(k));
  if (extra.length) problems.push(`extra keys ${extra.join(', ')}`);
  return problems;
}
