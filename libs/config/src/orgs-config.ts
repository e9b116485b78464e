import { EnvReader } from './env-reader';

const DAY = 86400;

/** INVITATION_TTL: how long an invitation to an organization can be accepted; a minute to 90 days. */
export function readOrgs(env: EnvReader): { invitationTtl: number } {
  return { invitationTtl: env.duration('INVITATION_TTL', 7 * DAY, 60, 90 * DAY) };
}
