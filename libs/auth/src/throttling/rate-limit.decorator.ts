import { SetMetadata } from '@nestjs/common';

/**
 * The groups of limits; each has throttlers named `<group>-…`. `public` is the default of every `@Public()`
 * route without a group of its own, so a new public route is never unthrottled.
 */
export type RateLimitGroup = 'login' | 'register' | 'refresh' | 'recovery' | 'invite' | 'public' | 'metrics';

export const RATE_LIMIT_GROUP = 'gatehouse:rate-limit-group';

/** Puts a route under its group's limits; AuthThrottlerGuard (global) enforces them. */
export const RateLimit = (group: RateLimitGroup) => SetMetadata(RATE_LIMIT_GROUP, group);

/**
 * Takes a public route out of every limit. For routes that must always answer (health probes) or that
 * measure the framework itself; say why beside each use.
 */
export const NoRateLimit = () => SetMetadata(RATE_LIMIT_GROUP, 'none');
