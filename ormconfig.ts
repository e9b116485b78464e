// The TypeORM CLI's data source: `npm run migration:generate|run|revert`. Same options as the app.
import { loadConfig } from './libs/config/src';
import { buildDataSourceOptions } from './libs/database/src';
import { DataSource } from 'typeorm';
import { User } from './libs/users/src';
import { RefreshToken } from './libs/auth/src/tokens/entities/refresh-token.entity';
import { Session } from './libs/auth/src/tokens/entities/session.entity';
import { RevokedSession } from './libs/auth/src/tokens/entities/revoked-session.entity';
import { EmailToken } from './libs/auth/src/recovery/entities/email-token.entity';
import { OAuthTransaction } from './libs/auth/src/oauth/entities/oauth-transaction.entity';
import { UserIdentity } from './libs/auth/src/oauth/entities/user-identity.entity';
import { MfaChallenge } from './libs/auth/src/mfa/entities/mfa-challenge.entity';
import { MfaFailure } from './libs/auth/src/mfa/entities/mfa-failure.entity';
import { RecoveryCode } from './libs/auth/src/mfa/entities/recovery-code.entity';
import { TotpFactor } from './libs/auth/src/mfa/entities/totp-factor.entity';
import { Passkey } from './libs/auth/src/passkeys/entities/passkey.entity';
import { ApiKey } from './libs/auth/src/machine/entities/api-key.entity';
import { KnownDevice } from './libs/auth/src/devices/entities/known-device.entity';
import { EmailCode } from './libs/auth/src/email-code/entities/email-code.entity';
import { ServiceClient } from './libs/auth/src/machine/entities/service-client.entity';
import { Membership } from './libs/orgs/src/entities/membership.entity';
import { MembershipChangeRecord } from './libs/orgs/src/entities/membership-change.entity';
import { Organization } from './libs/orgs/src/entities/organization.entity';
import { OrgInvitation } from './libs/orgs/src/invitations/entities/invitation.entity';
import { WebAuthnChallenge } from './libs/auth/src/passkeys/entities/webauthn-challenge.entity';
import { WebAuthnUser } from './libs/auth/src/passkeys/entities/webauthn-user.entity';
import { OutboxMessage } from './libs/mail/src/entities/outbox-message.entity';
import { AuditEvent } from './libs/audit/src/entities/audit-event.entity';
import { WebhookDelivery } from './libs/audit/src/webhooks/entities/webhook-delivery.entity';
import { WebhookEndpoint } from './libs/audit/src/webhooks/entities/webhook-endpoint.entity';
import { Note } from './apps/api/src/notes/entities/note.entity';
import { Project } from './apps/api/src/projects/entities/project.entity';

/**
 * Every entity the app registers (test/schema.e2e-spec.ts checks it): `migration:generate` compares the database
 * with these only, so the changes of an entity missing here never make it into a migration.
 */
export const entities = [
  User,
  Session,
  RevokedSession,
  RefreshToken,
  EmailToken,
  OAuthTransaction,
  UserIdentity,
  MfaChallenge,
  MfaFailure,
  RecoveryCode,
  TotpFactor,
  Passkey,
  ApiKey,
  ServiceClient,
  KnownDevice,
  EmailCode,
  Organization,
  OrgInvitation,
  Membership,
  MembershipChangeRecord,
  WebAuthnChallenge,
  WebAuthnUser,
  OutboxMessage,
  AuditEvent,
  WebhookEndpoint,
  WebhookDelivery,
  Note,
  Project,
];

export default new DataSource(buildDataSourceOptions(loadConfig(), entities));
