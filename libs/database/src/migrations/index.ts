import { CreateUsers1764000000000 } from './1764000000000-create-users';
import { CreateSessions1764000000001 } from './1764000000001-create-sessions';
import { CreateNotes1764000000002 } from './1764000000002-create-notes';
import { CredentialsVersionAndSignIn1764000000003 } from './1764000000003-credentials-version-and-sign-in';
import { CreateMailOutbox1764000000004 } from './1764000000004-create-mail-outbox';
import { CreateEmailTokens1764000000005 } from './1764000000005-create-email-tokens';
import { CreateOAuthIdentities1764000000006 } from './1764000000006-create-oauth-identities';
import { CreateSecondFactor1764000000007 } from './1764000000007-create-second-factor';
import { CreatePasskeys1764000000008 } from './1764000000008-create-passkeys';
import { DpopBinding1765000000000 } from './1765000000000-dpop-binding';
import { CreateMachineCredentials1766000000000 } from './1766000000000-create-machine-credentials';
import { CreateOrganizations1767000000000 } from './1767000000000-create-organizations';
import { ActiveOrganizations1767100000000 } from './1767100000000-active-organizations';
import { CreateOrgInvitations1767200000000 } from './1767200000000-create-org-invitations';
import { CreateProjects1767300000000 } from './1767300000000-create-projects';
import { CreateAuditEvents1768000000000 } from './1768000000000-create-audit-events';
import { CreateWebhooks1768100000000 } from './1768100000000-create-webhooks';
import { CreateKnownDevices1768200000000 } from './1768200000000-create-known-devices';
import { AccountDeletion1768300000000 } from './1768300000000-account-deletion';
import { CreateEmailCodes1768400000000 } from './1768400000000-email-codes';

/** Every migration, oldest first. `npm run migration:generate` writes a new file here: add its class below. */
export const migrations = [
  CreateUsers1764000000000,
  CreateSessions1764000000001,
  CreateNotes1764000000002,
  CredentialsVersionAndSignIn1764000000003,
  CreateMailOutbox1764000000004,
  CreateEmailTokens1764000000005,
  CreateOAuthIdentities1764000000006,
  CreateSecondFactor1764000000007,
  CreatePasskeys1764000000008,
  DpopBinding1765000000000,
  CreateMachineCredentials1766000000000,
  CreateOrganizations1767000000000,
  ActiveOrganizations1767100000000,
  CreateOrgInvitations1767200000000,
  CreateProjects1767300000000,
  CreateAuditEvents1768000000000,
  CreateWebhooks1768100000000,
  CreateKnownDevices1768200000000,
  AccountDeletion1768300000000,
  CreateEmailCodes1768400000000,
];
