import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerException,
  ThrottlerLimitDetail,
  ThrottlerGuard,
  ThrottlerModuleOptions,
  ThrottlerOptions,
  ThrottlerRequest,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { FastifyReply } from 'fastify';
import { IS_PUBLIC } from '../decorators/public.decorator';
import { SecurityEvents } from '../security-events';
import { PerRoute } from '../guards/per-route';
import { RATE_LIMIT_GROUP, RateLimitGroup } from './rate-limit.decorator';

/** One throttler of a route's group, with the limits its options give (numbers: see `throttlerOptions`). */
type RouteThrottler = Omit<ThrottlerRequest, 'context'> & { skipIf?: (context: ExecutionContext) => boolean };

/**
 * Global, so throttling is on by default: a route is counted by the throttlers of its @RateLimit group, and a
 * @Public() route without one by the `public` group; only @NoRateLimit() opts out. Runs before the route's own
 * guards, so a throttled login is refused whatever its password. Answers 429 with a plain `Retry-After`.
 *
 * The group alone decides a route's limits (`@Throttle()` and `@SkipThrottle()` are not read): each route's
 * throttlers are picked once, so a request walks only its own group's one or two, not every throttler's options.
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
  private readonly routeThrottlers = new PerRoute((handler, controller) => {
    const group = this.groups.read(handler, controller);
    return group === undefined
      ? []
      : this.throttlers.filter((t) => t.name?.startsWith(`${group}-`)).map((t) => this.withDefaults(t));
  });

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly events: SecurityEvents,
  ) {
    super(options, storage, reflector);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    for (const { skipIf, ...throttler } of this.routeThrottlers.of(context)) {
      if (skipIf?.(context)) continue;
      // Each throws (429) when its limit is reached.
      await this.handleRequest({ context, ...throttler });
    }
    return true;
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

  private withDefaults(options: ThrottlerOptions): RouteThrottler {
    const { limit, ttl, blockDuration, skipIf } = options;
    const getTracker = options.getTracker ?? this.commonOptions.getTracker;
    const generateKey = options.generateKey ?? this.commonOptions.generateKey;
    if (typeof limit !== 'number' || typeof ttl !== 'number' || !getTracker || !generateKey) {
      throw new Error(
        `throttler ${options.name}: limits are numbers and the tracker and key are set at start`,
      );
    }
    return {
      throttler: options,
      limit,
      ttl,
      blockDuration: typeof blockDuration === 'number' ? blockDuration : ttl,
      getTracker,
      generateKey,
      skipIf,
    };
  }
}
