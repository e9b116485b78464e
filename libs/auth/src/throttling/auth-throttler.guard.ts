import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerException,
  ThrottlerLimitDetail,
  ThrottlerGuard,
  ThrottlerModuleOptions,
  ThrottlerRequest,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { FastifyReply } from 'fastify';
import { IS_PUBLIC } from '../decorators/public.decorator';
import { SecurityEvents } from '../security-events';
import { PerRoute } from '../guards/per-route';
import { RATE_LIMIT_GROUP, RateLimitGroup } from './rate-limit.decorator';

const ALLOWED = Promise.resolve(true);

/**
 * Global, so throttling is on by default: a route is counted by the throttlers of its @RateLimit group, and a
 * @Public() route without one by the `public` group; only @NoRateLimit() opts out. Runs before the route's own
 * guards, so a throttled login is refused whatever its password. Answers 429 with a plain `Retry-After`.
 */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  private readonly groups = new PerRoute((handler, controller) => {
    const group = this.reflector.getAllAndOverride<RateLimitGroup | 'none' | undefined>(RATE_LIMIT_GROUP, [
      handler,
      controller,
    ]);
    if (group === 'none') return undefined;
    if (group) return group;
    return this.reflector.get<boolean | undefined>(IS_PUBLIC, handler) ? 'public' : undefined;
  });

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly events: SecurityEvents,
  ) {
    super(options, storage, reflector);
  }

  /** A route of no group is counted by no throttler: it skips the base guard's walk over all of them. */
  override canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.groups.of(context) === undefined) return ALLOWED;
    return super.canActivate(context);
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const group = this.groups.of(request.context);
    if (!group || !request.throttler.name?.startsWith(`${group}-`)) return true;
    return super.handleRequest(request);
  }

  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    if (this.groups.of(context) === 'login') this.events.note('login.throttled');
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    void reply.header('Retry-After', String(Math.max(1, detail.timeToBlockExpire)));
    throw new ThrottlerException('too many requests; retry later');
  }
}
