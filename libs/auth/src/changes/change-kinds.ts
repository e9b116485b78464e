import type { WebhookEvent } from '@gatehouse/audit';
import { SecurityEvent } from '../security-events';
import { RevocationReason } from '../tokens/entities/session.entity';

/** Every change to how an account is entered, as the change function knows them. */
export type AccountChangeKind =
  | 'password_changed'
  | 'password_reset'
  | 'email_changed'
  | 'totp_enabled'
  | 'totp_disabled'
  | 'recovery_codes_replaced'
  | 'passkey_added'
  | 'passkey_removed'
  | 'identity_linked'
  | 'identity_unlinked'
  | 'account_disabled'
  | 'logout_all'
  | 'api_key_created'
  | 'api_key_deleted'
  | 'account_deleted';

/** What the change function does for a kind of change, besides the change itself. */
export interface ChangeRule {
  /** A new way in or factor: only on an account whose address has been proven. */
  readonly addsWayIn: boolean;
  /**
   * The sessions the change voids, and why: `others` keeps the caller's own (moved to the new credentials
   * version), `all` ends every one. Either bumps the credentials version, so a sign-in or an mfa challenge in
   * flight fails too. Undefined: the change voids nothing.
   */
  readonly revokes?: { readonly sessions: 'others' | 'all'; readonly reason: RevocationReason };
  /** The security event recorded once the change is committed (a logout-all records its revocations only). */
  readonly event?: SecurityEvent;
  /** The notice's subject, and the sentence saying what changed; undefined for a change told no one. */
  readonly told?: { readonly subject: string; readonly what: string };
  /**
   * The user's API keys must be judged again on every instance at once (a disable refuses them): the change
   * announces it on the revocation channel, in its transaction.
   */
  readonly rejudgesApiKeys?: boolean;
  /**
   * The webhook event the change is reported to other systems as, with the user's public fields (with the id
   * only, for a change that removes the account).
   */
  readonly webhook?: Extract<WebhookEvent, 'user.updated' | 'user.disabled' | 'user.deleted'>;
  /**
   * The change removes the account: the change function applies it last, after every other step (revocation,
   * notice, event), so that it can erase what those wrote; the notice is a farewell that forgets its address.
   */
  readonly removesAccount?: boolean;
}

export const CHANGE_RULES: Readonly<Record<AccountChangeKind, ChangeRule>> = {
  password_changed: {
    addsWayIn: false,
    revokes: { sessions: 'others', reason: 'password_changed' },
    event: 'password.changed',
    told: { subject: 'Your password was changed', what: 'The password of your account was changed' },
  },
  password_reset: {
    addsWayIn: false,
    revokes: { sessions: 'all', reason: 'password_reset' },
    event: 'password.reset',
    told: {
      subject: 'Your password was changed',
      what: 'The password of your account was reset with a link sent to this address',
    },
  },
  email_changed: {
    addsWayIn: false,
    revokes: { sessions: 'others', reason: 'email_changed' },
    event: 'email.changed',
    webhook: 'user.updated',
    told: {
      subject: 'Your email address was changed',
      what: 'The email address of your account was changed',
    },
  },
  totp_enabled: {
    addsWayIn: true,
    revokes: { sessions: 'others', reason: 'mfa_enabled' },
    event: 'mfa.enabled',
    told: {
      subject: 'Two-step sign-in was turned on',
      what: 'An authenticator app was set up as the second factor of your account',
    },
  },
  totp_disabled: {
    addsWayIn: false,
    revokes: { sessions: 'others', reason: 'mfa_disabled' },
    event: 'mfa.disabled',
    told: {
      subject: 'Two-step sign-in was turned off',
      what: 'The second factor (authenticator app) of your account was turned off',
    },
  },
  recovery_codes_replaced: {
    addsWayIn: false,
    event: 'mfa.recovery_codes_replaced',
    told: {
      subject: 'New recovery codes were made',
      what: 'New recovery codes were made for your account; the old ones no longer work',
    },
  },
  passkey_added: {
    addsWayIn: true,
    event: 'passkey.registered',
    told: { subject: 'A passkey was added to your account', what: 'A passkey was added to your account' },
  },
  passkey_removed: {
    addsWayIn: false,
    revokes: { sessions: 'others', reason: 'passkey_removed' },
    event: 'passkey.removed',
    told: {
      subject: 'A passkey was removed from your account',
      what: 'A passkey was removed from your account',
    },
  },
  identity_linked: {
    addsWayIn: true,
    event: 'oauth.linked',
    told: {
      subject: 'A sign-in provider was linked to your account',
      what: 'A sign-in provider account was linked to your account',
    },
  },
  identity_unlinked: {
    addsWayIn: false,
    revokes: { sessions: 'others', reason: 'identity_unlinked' },
    event: 'oauth.unlinked',
    told: {
      subject: 'A sign-in provider was unlinked from your account',
      what: 'A sign-in provider account was unlinked from your account',
    },
  },
  account_disabled: {
    addsWayIn: false,
    revokes: { sessions: 'all', reason: 'account_disabled' },
    event: 'account.disabled',
    told: { subject: 'Your account was disabled', what: 'Your account was disabled by an administrator' },
    rejudgesApiKeys: true,
    webhook: 'user.disabled',
  },
  logout_all: {
    addsWayIn: false,
    revokes: { sessions: 'all', reason: 'logout_all' },
  },
  // A key acts for the user with no password and no second factor: a way in, for scripts.
  api_key_created: {
    addsWayIn: true,
    event: 'api_key.created',
    told: {
      subject: 'An API key was created for your account',
      what: 'An API key was created for your account',
    },
  },
  api_key_deleted: {
    addsWayIn: false,
    event: 'api_key.deleted',
    told: {
      subject: 'An API key of your account was deleted',
      what: 'An API key of your account was deleted',
    },
  },
  account_deleted: {
    addsWayIn: false,
    revokes: { sessions: 'all', reason: 'account_deleted' },
    event: 'account.deleted',
    told: {
      subject: 'Your account was deleted',
      what: 'Your account was deleted, with everything it held',
    },
    rejudgesApiKeys: true,
    webhook: 'user.deleted',
    removesAccount: true,
  },
};
