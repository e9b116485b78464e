import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEntry, AuditQuery, AuditRecord } from './audit-entry';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT_ID = /^[0-9]{1,18}$/;
// Writes outside a transaction in flight at once; beyond this (the database is away), new ones are dropped.
const MAX_IN_FLIGHT = 1000;

/** A row for `jsonb_to_recordset`: the columns' bounds applied here, so a long header never fails a change. */
function row(entry: AuditEntry, at?: Date): Record<string, unknown> {
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
    at: at?.toISOString() ?? null,
    ip: entry.ip?.slice(0, 64) ?? null,
    user_agent: entry.userAgent?.slice(0, 512) ?? null,
    details,
  };
}

const INSERT = `INSERT INTO audit_events (user_id, type, at, ip, user_agent, details)
  SELECT user_id, type, COALESCE(at, now()), ip, user_agent, COALESCE(details, '{}')
    FROM jsonb_to_recordset($1::jsonb)
      AS e(user_id uuid, type text, at timestamptz, ip text, user_agent text, details jsonb)`;

const COLUMNS = `id::text AS id, user_id AS "userId", type, at, ip, user_agent AS "userAgent", details`;

/**
 * The account history's store. A change appends its event in its own transaction (`append`), so the event exists
 * if and only if the change does; an event with no change behind it (a refused sign-in) is written on its own
 * (`appendSoon`), without the request waiting for it.
 */
@Injectable()
export class AuditTrail implements OnModuleDestroy {
  private readonly log = new Logger(AuditTrail.name);
  private readonly inFlight = new Set<Promise<void>>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores the entries in the caller's transaction. */
  async append(db: EntityManager, ...entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await db.query(INSERT, [JSON.stringify(entries.map((entry) => row(entry)))]);
  }

  /** Starts storing the entry, stamped now; never throws, never makes the caller wait. */
  appendSoon(entry: AuditEntry): void {
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      this.log.warn(`audit event ${entry.type} not stored: the database is not keeping up`);
      return;
    }
    const write = this.dataSource
      .query(INSERT, [JSON.stringify([row(entry, new Date())])])
      .then(
        () => undefined,
        (error: unknown) =>
          this.log.warn(
            `audit event ${entry.type} not stored: ${error instanceof Error ? error.message : String(error)}`,
          ),
      )
      .finally(() => this.inFlight.delete(write));
    this.inFlight.add(write);
  }

  /** Resolves once every `appendSoon` started so far is stored (or given up on). */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  async onModuleDestroy(): Promise<void> {
    await this.settled();
  }

  /** A page of history, newest first; with `userId`, that account's only. */
  async page(query: AuditQuery): Promise<AuditRecord[]> {
    // What this process is still writing is part of the history the caller expects to see.
    await this.settled();
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
        ORDER BY audit_events.id DESC LIMIT ${param(query.limit)}`,
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
