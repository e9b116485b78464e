import { Injectable, Logger } from '@nestjs/common';

export type SecurityEvent =
  | 'login.succeeded'
  | 'login.failed'
  | 'refresh.race_absorbed'
  | 'refresh.reuse_detected'
  | 'refresh.rejected'
  | 'session.revoked'
  | 'password.changed'
  | 'password.change_failed'
  | 'password.reset_requested'
  | 'password.reset'
  | 'email.verified'
  | 'email.change_requested'
  | 'email.changed'
  | 'account.disabled'
  | 'account.enabled'
  | 'oauth.signed_in'
  | 'oauth.user_created'
  | 'oauth.linked'
  | 'oauth.unlinked'
  | 'oauth.failed'
  | 'login.mfa_required'
  | 'mfa.enabled'
  | 'mfa.disabled'
  | 'mfa.verified'
  | 'mfa.failed'
  | 'mfa.recovery_code_used'
  | 'mfa.recovery_codes_replaced'
  | 'passkey.registered'
  | 'passkey.removed'
  | 'passkey.signed_in'
  | 'passkey.failed';

/** The events that may be an attack in progress. */
const WARNINGS = new Set<SecurityEvent>([
  'refresh.reuse_detected',
  'login.failed',
  'refresh.rejected',
  'password.change_failed',
  'oauth.failed',
  'mfa.failed',
  'passkey.failed',
]);

/** Ids and reasons only: a security event never carries a password, a token or a cookie. */
export interface SecurityEventFields {
  userId?: string;
  sessionId?: string;
  reason?: string;
  ip?: string;
  [key: string]: string | string[] | number | boolean | undefined;
}

/** Writes security events as structured log entries, one per event, whatever the log level's verbosity. */
@Injectable()
export class SecurityEvents {
  private readonly log = new Logger('SecurityEvent');

  record(event: SecurityEvent, fields: SecurityEventFields = {}): void {
    const entry = { securityEvent: event, ...fields };
    if (WARNINGS.has(event)) {
      this.log.warn(entry, event);
    } else {
      this.log.log(entry, event);
    }
  }
}
