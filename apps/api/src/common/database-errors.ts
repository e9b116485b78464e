import { types } from 'node:util';
import { QueryFailedError } from 'typeorm';

// Connection-level failures: the database is unreachable or going away, not a bug in a query.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const UNAVAILABLE_SQLSTATE = /^(08|57P)/;
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Driver not Connected',
  'The embedded database is closed',
  'Client has encountered a connection error',
];

/**
 * Whether `value` is an Error, from whichever realm made it: Node's own modules raise theirs outside a `vm`
 * context (Jest runs the app in one), where `instanceof Error` is false for them.
 */
export function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!isError(error)) return false;
  const cause = error instanceof QueryFailedError ? (error.driverError as Error & { code?: string }) : error;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code)))
    return true;
  return UNAVAILABLE_MESSAGES.some((text) => cause.message?.includes(text));
}

export interface RefusedWrite {
  status: 400 | 409;
  message: string;
  /** For the log only. */
  sqlState: string;
}

type Answer = Omit<RefusedWrite, 'sqlState'>;

// What a client may learn of a constraint the database enforced: the kind of problem, never which table, column,
// constraint or value (PostgreSQL's message and detail name them).
const INVALID_VALUE: Answer = { status: 400, message: 'a value in the request is not valid' };
const MISSING_VALUE: Answer = { status: 400, message: 'a required value is missing' };
const CONFLICT: Answer = { status: 409, message: 'the request conflicts with existing data' };

// Class 23, integrity constraint violations.
const CONSTRAINT_ANSWERS: Record<string, Answer> = {
  '23502': MISSING_VALUE, // not_null_violation
  '23514': INVALID_VALUE, // check_violation
  '23505': CONFLICT, // unique_violation
  '23503': CONFLICT, // foreign_key_violation
  '23001': CONFLICT, // restrict_violation
  '23P01': CONFLICT, // exclusion_violation
};

/**
 * The answer for a query the database refused because of the data it was given, which validation should have
 * caught first: a 400 or 409, never a 500. Undefined for any other error.
 */
export function refusedWrite(error: unknown): RefusedWrite | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const sqlState = (error.driverError as { code?: unknown } | undefined)?.code;
  if (typeof sqlState !== 'string') return undefined;
  // Class 22, data exceptions: invalid text representation, string too long, numeric out of range, …
  const answer = sqlState.startsWith('22') ? INVALID_VALUE : CONSTRAINT_ANSWERS[sqlState];
  return answer && { ...answer, sqlState };
}
