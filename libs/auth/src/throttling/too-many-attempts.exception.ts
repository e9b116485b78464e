import { HttpException, HttpStatus } from '@nestjs/common';

/** A 429 raised by a service rather than a guard; RetryAfterInterceptor turns `retryAfter` into the header. */
export class TooManyAttemptsException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super('too many requests; retry later', HttpStatus.TOO_MANY_REQUESTS);
  }
}
