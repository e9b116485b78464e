/** An event as the history stores it; `details` holds ids and reasons only, never a secret. */
export interface AuditEntry {
  readonly type: string;
  readonly userId?: string | null;
  readonly ip?: string | null;
  readonly userAgent?: string | null;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** An event as the history shows it. */
export interface AuditRecord {
  id: string;
  userId: string | null;
  type: string;
  at: string;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

/** A page of history: newest first, `before` an event's id (or an instant) to read on from. */
export interface AuditQuery {
  readonly userId?: string;
  readonly type?: string;
  readonly limit: number;
  readonly before?: string;
}
