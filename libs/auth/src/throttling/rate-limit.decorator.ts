import { SetMetadata } from '@nestjs/common';

/** The routes with a rate limit of their own; each has throttlers named `<group>-…`. */
export type RateLimitGroup = 'login' | 'register' | 'refresh';

export const RATE_LIMIT_GROUP = 'gatehouse:rate-limit-group';

/** Puts a route under its group's limits; AuthThrottlerGuard enforces them. */
export const RateLimit = (group: RateLimitGroup) => SetMetadata(RATE_LIMIT_GROUP, group);
