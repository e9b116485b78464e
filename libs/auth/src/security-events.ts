import { AuditEntry, AuditTrail } from '@gatehouse/audit';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export type SecurityEvent =
  | 'account.created'
  | 'login.succeeded'
  | 'login.new_device'
  | 'login.failed'
  | 'email_code.sent'
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
  | 'account.deleted'
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
  userAgent?: string;
  [key: string]: string | string[] | number | boolean | undefined;
}

/** The event as the account history stores it: the account, the client, and the rest as details. */
function auditEntry(event: SecurityEvent, fields: SecurityEventFields): AuditEntry {
  const { userId, ip, userAgent, ...details } = fields;
  for (const key of Object.keys(details)) if (details[key] === undefined) delete details[key];
  return { type: event, userId, ip, userAgent, details };
}

/**
 * Every security event is written three ways: a structured log line (whatever the log level's verbosity), the
 * account history (AuditTrail), and the listeners (the app's counters), which hear of routine outcomes too.
 */
@Injectable()
export class SecurityEvents {
  private readonly log = new Logger('SecurityEvent');
  private listeners: readonly SecurityEventListener[] = [];

  constructor(private readonly trail: AuditTrail) {}

  /** An event with no change behind it (a refused sign-in, a reuse): logged, told, and stored a moment later. */
  record(event: SecurityEvent, fields: SecurityEventFields = {}): void {
    this.announce(event, fields);
    this.trail.appendSoon(auditEntry(event, fields));
  }

  /**
   * Stores the event of a change (once per fields given) in the change's own transaction, so it exists if and
   * only if the change does; the caller calls `announce` with the same fields once the transaction has committed.
   */
  async store(db: EntityManager, event: SecurityEvent, ...each: SecurityEventFields[]): Promise<void> {
    await this.trail.append(db, ...each.map((fields) => auditEntry(event, fields)));
  }

  /** The log line and the listeners of an event already stored. */
  announce(event: SecurityEvent, fields: SecurityEventFields = {}): void {
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
