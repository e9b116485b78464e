import { EnvReader } from './env-reader';

const DAY = 86400;

/**
 * WEBHOOK_GIVE_UP: how long an undelivered webhook is retried (a minute to 30 days); WEBHOOK_TIMEOUT: how long one
 * attempt may take before it counts as failed (a second to a minute).
 */
export function readWebhooks(env: EnvReader): { giveUpAfter: number; timeout: number } {
  return {
    giveUpAfter: env.duration('WEBHOOK_GIVE_UP', 3 * DAY, 60, 30 * DAY),
    timeout: env.duration('WEBHOOK_TIMEOUT', 10, 1, 60),
  };
}
