import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEntry, AuditQuery, AuditRecord } from './audit-entry';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT_ID = /^[0-9]{1,18}$/;
// Events recorded outside a transaction are written together, this soon after the first of them.
const FLUSH_DELAY_MS = 50;
// Beyond this many waiting (the database is down), the oldest are dropped with a warning rather than memory.
const MAX_WAITING = 10_000;

/** A row for `jsonb_to_recordset`: the columns' bounds applied here, so a long header never fails a change. */
function row(entry: AuditEntry): Record<string, unknown> {
  const details: Record<string, unknown> = { ...entry.details };
  let userId = entry.userId ?? null;
  if (userId !== null && !UUID.test(userId)) {
    // Not an account's id: kept as a detail rather than failing the insert (and the change with it).
    details.subject = userId;
    userId = null;
  }
  return {
    user_id: userId,
    type: entry.type.slice(0, 64),
    ip: entry.ip?.slice(0, 64) ?? null,
    user_agent: entry.userAgent?.slice(0, 512) ?? null,
    details,
  };
}

const INSERT = `INSERT INTO audit_events (user_id, type, ip, user_agent, details)
  SELECT user_id, type, ip, user_agent, COALESCE(details, '{}')
    FROM jsonb_to_recordset($1::jsonb) AS e(user_id uuid, type text, ip text, user_agent text, details jsonb)`;

const COLUMNS = `id::text AS id, user_id AS "userId", type, at, ip, user_agent AS "userAgent", details`;

/**
 * The account history's store. A change appends its event in its own transaction (`append`), so the event exists
 * if and only if the change does; an event with no change behind it (a failed sign-in) is written a moment later
 * with others (`appendSoon`), off the request's path.
 */
@Injectable()
export class AuditTrail implements OnModuleDestroy {
  private readonly log = new Logger(AuditTrail.name);
  private waiting: AuditEntry[] = [];
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores the entries in the caller's transaction. */
  async append(db: EntityManager, ...entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await db.query(INSERT, [JSON.stringify(entries.map(row))]);
  }

  /** Stores the entry shortly, with whatever else is recorded meanwhile; never throws, never waits. */
  appendSoon(entry: AuditEntry): void {
    if (this.waiting.length >= MAX_WAITING) {
      this.waiting.shift();
      this.log.warn('audit events are waiting for the database; the oldest was dropped');
    }
    this.waiting.push(entry);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
      this.timer.unref();
    }
  }

  /** Writes what `appendSoon` holds; resolves once it is stored (or given up on, with a warning). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    this.writing = this.writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.dataSource.query(INSERT, [JSON.stringify(batch.map(row))]);
      } catch (error) {
        this.log.warn(
          `${batch.length} audit event(s) not stored: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    });
    return this.writing;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  /** A page of history, newest first; with `userId`, that account's only. */
  async page(query: AuditQuery): Promise<AuditRecord[]> {
    // What this process still holds is part of the history the caller expects to see.
    await this.flush();
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => `$${params.push(value)}`;
    if (query.userId !== undefined) where.push(`user_id = ${param(query.userId)}`);
    if (query.type !== undefined) where.push(`type = ${param(query.type)}`);
    if (query.before !== undefined) {
      where.push(
        EVENT_ID.test(query.before)
          ? `id < ${param(query.before)}::bigint`
          : `at < ${param(query.before)}::timestamptz`,
      );
    }
    const rows = await this.dataSource.query<AuditRecord[]>(
      `SELECT ${COLUMNS} FROM audit_events
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY id DESC LIMIT ${param(query.limit)}`,
      params,
    );
    return rows.map((record) => ({ ...record, at: new Date(record.at).toISOString() }));
  }

  /** A deleted account's history keeps its user id and the events' types and times; nothing else. */
  async reduceToUserId(db: EntityManager, userId: string): Promise<void> {
    await db.query(
      `UPDATE audit_events SET ip = NULL, user_agent = NULL, details = '{}' WHERE user_id = $1`,
      [userId],
    );
  }

  /** Deletes the events older than `before`, a batch at a time; returns how many. */
  async purgeOlderThan(before: Date, batch = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const [, deleted] = await this.dataSource.query<[unknown, number]>(
        `DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < $1 LIMIT $2)`,
        [before, batch],
      );
      total += deleted;
      if (deleted < batch) return total;
    }
  }
}
