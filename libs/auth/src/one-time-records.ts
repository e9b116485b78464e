import { AppConfig } from '@gatehouse/config';
import { registerExpiringRecords } from '@gatehouse/database';
import { KNOWN_DEVICE_DAYS } from './devices/known-devices';

const DAY = 86_400;

/** What libs/auth keeps only for a while, for the periodic clean-up to delete once it serves no more. */
export const authOneTimeRecords = registerExpiringRecords([AppConfig], (config: AppConfig) => [
  // Expired, they can no longer be used; a consumed email link is kept until it expires, as a record.
  { table: 'email_tokens', key: 'id', column: 'expires_at' },
  { table: 'oauth_transactions', key: 'id', column: 'expires_at' },
  { table: 'mfa_challenges', key: 'id', column: 'expires_at' },
  { table: 'webauthn_challenges', key: 'id', column: 'expires_at' },
  // A device unseen for 90 days is a new one at its next sign-in: its record serves no more.
  {
    table: 'known_devices',
    key: ['user_id', 'key_hash'],
    column: 'last_seen_at',
    keptFor: KNOWN_DEVICE_DAYS * DAY,
  },
  // Wrong second-factor codes count for THROTTLE_MFA_TTL; older ones count for nothing.
  { table: 'mfa_failures', key: 'id', column: 'failed_at', keptFor: config.throttle.mfa.ttl },
]);
