import { Injectable, Logger } from '@nestjs/common';

export type SecurityEvent =
  | 'login.succeeded'
  | 'login.failed'
  | 'refresh.race_absorbed'
  | 'refresh.reuse_detected'
  | 'refresh.rejected'
  | 'session.revoked'
  | 'session.reauthenticated'
  | 'session.reauthentication_failed'
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
  | 'passkey.failed'
  | 'dpop.bound'
  | 'dpop.refused'
  | 'client.created'
  | 'client.deleted'
  | 'client.auth_failed'
  | 'api_key.created'
  | 'api_key.deleted'
  | 'api_key.refused';

/**
 * Outcomes too routine to log one line each (a refresh happens every few minutes per user), announced to
 * listeners only.
 */
export type RoutineEvent =
  'refresh.rotated' | 'refresh.cookie_refused' | 'refresh.unavailable' | 'login.throttled';

/** Told of every event as it happens, on the request's path: it must be cheap and must not throw. */
export type SecurityEventListener = (
  event: SecurityEvent | RoutineEvent,
  fields: Readonly<SecurityEventFields>,
) => void;

/** The events that may be an attack in progress. */
const WARNINGS = new Set<SecurityEvent>([
  'refresh.reuse_detected',
  'login.failed',
  'refresh.rejected',
  'password.change_failed',
  'session.reauthentication_failed',
  'oauth.failed',
  'mfa.failed',
  'passkey.failed',
  'dpop.refused',
  'client.auth_failed',
  'api_key.refused',
]);

/** Ids and reasons only: a security event never carries a password, a token or a cookie. */
export interface SecurityEventFields {
  userId?: string;
  sessionId?: string;
  reason?: string;
  ip?: string;
  [key: string]: string | string[] | number | boolean | undefined;
}

/**
 * Writes security events as structured log entries, one per event, whatever the log level's verbosity, and
 * tells the listeners (the app's counters) of them and of the routine outcomes.
 */
@Injectable()
export class SecurityEvents {
  private readonly log = new Logger('SecurityEvent');
  private listeners: readonly SecurityEventListener[] = [];

  record(event: SecurityEvent, fields: SecurityEventFields = {}): void {
    const entry = { securityEvent: event, ...fields };
    if (WARNINGS.has(event)) {
      this.log.warn(entry, event);
    } else {
      this.log.log(entry, event);
    }
    this.tell(event, fields);
  }

  /** A routine outcome: no log line, only the listeners hear of it. */
  note(event: RoutineEvent, fields: SecurityEventFields = {}): void {
    this.tell(event, fields);
  }

  /** Returns the function that stops the listening. */
  listen(listener: SecurityEventListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((other) => other !== listener);
    };
  }

  private tell(event: SecurityEvent | RoutineEvent, fields: SecurityEventFields): void {
    for (const listener of this.listeners) {
      try {
        listener(event, fields);
      } catch (error) {
        // Counting is never a reason for a login or a refresh to fail.
        this.log.error(`a security event listener failed on ${event}: ${String(error)}`);
      }
    }
  }
}
