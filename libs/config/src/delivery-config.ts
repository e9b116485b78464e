import { EnvReader } from './env-reader';

const MINUTE = 60;

/**
 * The durable deliveries' pace, shared by mail and webhooks: DELIVERY_RETRY_FIRST, the wait after a first failed
 * attempt (doubling after each further one, at most 5 minutes), and DELIVERY_POLL_INTERVAL, how often each
 * instance looks for due work besides being woken. Both from a second to 5 minutes.
 */
export function readDelivery(env: EnvReader): { retryFirst: number; pollInterval: number } {
  return {
    retryFirst: env.duration('DELIVERY_RETRY_FIRST', 5, 1, 5 * MINUTE),
    pollInterval: env.duration('DELIVERY_POLL_INTERVAL', 5, 1, 5 * MINUTE),
  };
}
