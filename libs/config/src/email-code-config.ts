import { EnvReader } from './env-reader';

/**
 * Sign-in with a code by email: how long a code works (EMAIL_CODE_TTL, a minute to an hour: eight digits are
 * guessable in time, so they must not live long), and whether an unknown address gets one and an account at its
 * first use (EMAIL_CODE_SIGNUP).
 */
export function readEmailCode(env: EnvReader): { ttl: number; signup: boolean } {
  return {
    ttl: env.duration('EMAIL_CODE_TTL', 10 * 60, 60, 3600),
    signup: env.boolean('EMAIL_CODE_SIGNUP', false),
  };
}
