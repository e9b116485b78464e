import { ExecutionContext, Injectable } from '@nestjs/common';
import {
  ThrottlerException,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerRequest,
} from '@nestjs/throttler';
import { FastifyReply } from 'fastify';
import { RATE_LIMIT_GROUP, RateLimitGroup } from './rate-limit.decorator';

/**
 * Applies only the throttlers of the route's @RateLimit group, before the credentials are even looked at, so a
 * throttled login is refused whatever its password. Answers 429 with a plain `Retry-After` in seconds.
 */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const group = this.reflector.getAllAndOverride<RateLimitGroup | undefined>(RATE_LIMIT_GROUP, [
      request.context.getHandler(),
      request.context.getClass(),
    ]);
    if (!group || !request.throttler.name?.startsWith(`${group}-`)) return true;
    return super.handleRequest(request);
  }

  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    void reply.header('Retry-After', String(Math.max(1, detail.timeToBlockExpire)));
    throw new ThrottlerException('too many requests; retry later');
  }
}
