import { HttpException, HttpStatus } from '@nestjs/common';

/** A 429 raised by a service rather than a guard, answered with `Retry-After` (in seconds) as the guard's are. */
export class TooManyAttemptsException extends HttpException {
  /** Copied onto the answer by the app's error filter. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(readonly retryAfterSeconds: number) {
    super('too many requests; retry later', HttpStatus.TOO_MANY_REQUESTS);
    this.headers = { 'Retry-After': String(Math.max(1, retryAfterSeconds)) };
  }
}
