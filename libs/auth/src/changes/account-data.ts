import { AuditTrail } from '@gatehouse/audit';
import { registerUserDataWith, UserDataPart } from '@gatehouse/users';
import { EntityManager } from 'typeorm';
import { activityData } from '../activity/activity-data';
import { knownDeviceData } from '../devices/known-device-data';
import { apiKeyData } from '../machine/api-keys/api-key-data';
import { mfaData } from '../mfa/mfa-data';
import { identityData } from '../oauth/identity-data';
import { passkeyData } from '../passkeys/passkey-data';
import { emailTokenData } from '../recovery/email-token-data';
import { RevocationService } from '../revocation/revocation.service';
import { sessionData } from '../tokens/session-data';

/**
 * The mail waiting for, or sent to, the user's address (libs/mail knows messages, not users): erased, never
 * exported, as bodies are wiped once sent. The farewell the deletion itself queues is kept: it forgets its
 * address once sent.
 */
const addressedMail: UserDataPart = {
  name: 'mail',
  tables: ['mail_outbox'],
  erase: async (db: EntityManager, userId: string) => {
    await db.query(
      `DELETE FROM mail_outbox
        WHERE lower("to") = (SELECT email FROM users WHERE id = $1) AND NOT forget_recipient`,
      [userId],
    );
  },
};

/** Everything libs/auth stores about a user, registered with the users' data registry when the module starts. */
export const authUserData = registerUserDataWith(
  [RevocationService, AuditTrail],
  (revocations: RevocationService, trail: AuditTrail) => [
    ...sessionData(revocations),
    ...identityData,
    ...passkeyData,
    ...mfaData,
    apiKeyData,
    emailTokenData,
    knownDeviceData,
    activityData(trail),
    addressedMail,
  ],
);
