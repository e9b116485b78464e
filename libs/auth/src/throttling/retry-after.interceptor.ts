import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { Observable, catchError, throwError } from 'rxjs';
import { TooManyAttemptsException } from './too-many-attempts.exception';

/** Adds `Retry-After` (in seconds) to a 429 that a service raised, as the throttler guard does for its own. */
@Injectable()
export class RetryAfterInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (error instanceof TooManyAttemptsException) {
          const reply = context.switchToHttp().getResponse<FastifyReply>();
          void reply.header('Retry-After', String(Math.max(1, error.retryAfterSeconds)));
        }
        return throwError(() => error);
      }),
    );
  }
}
