import { EnvReader } from './env-reader';

const DAY = 86400;

/** AUDIT_RETENTION: how long the account history keeps an event; a day to ten years. */
export function readAudit(env: EnvReader): { retention: number } {
  return { retention: env.duration('AUDIT_RETENTION', 365 * DAY, DAY, 3650 * DAY) };
}
