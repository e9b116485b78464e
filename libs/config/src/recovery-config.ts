import { EnvReader } from './env-reader';

/** One-time links by email: how long each kind lives, and whether login waits for a verified address. */
export function readRecovery(env: EnvReader): {
  verificationTtl: number;
  resetTtl: number;
  requireVerification: boolean;
} {
  return {
    verificationTtl: env.duration('EMAIL_VERIFICATION_TTL', 24 * 3600, 60),
    resetTtl: env.duration('PASSWORD_RESET_TTL', 30 * 60, 60),
    requireVerification: env.boolean('REQUIRE_EMAIL_VERIFICATION', false),
  };
}
