import { DataSource } from 'typeorm';

/**
 * What sets one table of durable deliveries apart from another (mail_outbox, webhook_deliveries). Every table has
 * `id`, `attempts`, `next_attempt_at`, `given_up_at`, `last_error` and `created_at`, and a partial index on
 * `next_attempt_at` over its undelivered rows; the statements below are the same for all of them. Every field is
 * SQL written in the code, never input.
 */
export interface DeliveryTable {
  readonly name: string;
  /** The column stamped when a row is delivered: `sent_at`, `delivered_at`. */
  readonly deliveredAt: string;
  /** What names a row's kind in the log (`purpose`, `event`); it outlives the wipe. */
  readonly label: string;
  /** The columns a claimed row comes back with besides `id`, `attempts` and `label`: what delivering it takes. */
  readonly content: string;
  /** Assignments that empty a row done with: its record stays, what it carried goes. */
  readonly wipe: string;
  /** A column past which a row is pointless however young it is (mail: its link's expiry); NULL means never. */
  readonly expiresAt?: string;
}

export interface DeliveryTimings {
  /** Seconds after its creation when an undelivered row is given up. */
  readonly giveUpAfter: number;
  /** Seconds a claimed row is reserved for the instance delivering it: longer than any one attempt takes. */
  readonly lease: number;
}

/** What every claimed or given-up row says of itself. */
export type DeliveryRecord = { id: string; label: string; attempts: number };

/**
 * One table's statements. Each is one short statement, its own transaction: nothing here holds a transaction open
 * while a delivery is on the wire.
 */
export class DeliveryStore<Row extends DeliveryRecord> {
  /** Still to deliver, and still worth delivering; `$1` is the give-up age in seconds. */
  private readonly live: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly table: DeliveryTable,
    private readonly timings: DeliveryTimings,
  ) {
    const unexpired = table.expiresAt ? `AND (${table.expiresAt} IS NULL OR ${table.expiresAt} > now())` : '';
    this.live = `${table.deliveredAt} IS NULL AND given_up_at IS NULL ${unexpired}
      AND created_at > now() - $1::int * interval '1 second'`;
  }

  /**
   * Takes up to `limit` due rows for this instance: rows another instance is claiming are skipped, not waited for,
   * and each claimed row is leased (its next attempt pushed past the attempt) so nobody else takes it meanwhile.
   */
  async claim(limit: number): Promise<Row[]> {
    const { name, label, content } = this.table;
    const [rows] = await this.dataSource.query<[Row[], number]>(
      `UPDATE ${name} SET attempts = attempts + 1, next_attempt_at = now() + $3::int * interval '1 second'
        WHERE id IN (
          SELECT id FROM ${name} WHERE ${this.live} AND next_attempt_at <= now()
           ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id, attempts, ${label} AS label, ${content}`,
      [this.timings.giveUpAfter, limit, this.timings.lease],
    );
    return rows;
  }

  async markDelivered(id: string): Promise<void> {
    const { name, deliveredAt, wipe } = this.table;
    await this.dataSource.query(
      `UPDATE ${name} SET ${deliveredAt} = now(), last_error = NULL, ${wipe} WHERE id = $1`,
      [id],
    );
  }

  async markFailed(id: string, retryInSeconds: number, error: string): Promise<void> {
    const { name, deliveredAt } = this.table;
    await this.dataSource.query(
      `UPDATE ${name} SET next_attempt_at = now() + $2::int * interval '1 second', last_error = $3
        WHERE id = $1 AND ${deliveredAt} IS NULL`,
      [id, retryInSeconds, error],
    );
  }

  async giveUp(id: string, error: string): Promise<void> {
    const { name, deliveredAt, wipe } = this.table;
    await this.dataSource.query(
      `UPDATE ${name} SET given_up_at = now(), last_error = $2, ${wipe} WHERE id = $1 AND ${deliveredAt} IS NULL`,
      [id, error],
    );
  }

  /** Gives up every undelivered row past the give-up age (or expired); returns what it gave up. */
  async giveUpStale(): Promise<DeliveryRecord[]> {
    const { name, deliveredAt, label, wipe, expiresAt } = this.table;
    const [rows] = await this.dataSource.query<[DeliveryRecord[], number]>(
      `UPDATE ${name} SET given_up_at = now(), ${wipe}
        WHERE ${deliveredAt} IS NULL AND given_up_at IS NULL
          AND (${expiresAt ? `${expiresAt} <= now() OR ` : ''}created_at <= now() - $1::int * interval '1 second')
        RETURNING id, ${label} AS label, attempts`,
      [this.timings.giveUpAfter],
    );
    return rows;
  }

  /**
   * How many rows wait to be delivered (retries included) and how old the oldest is, in seconds: one statement
   * over the partial index of undelivered rows, for the metrics scrape.
   */
  async backlog(): Promise<{ waiting: number; oldestAgeSeconds: number }> {
    const [row] = await this.dataSource.query<{ waiting: number; oldest: number | null }[]>(
      `SELECT count(*)::int AS waiting, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest
         FROM ${this.table.name} WHERE ${this.live}`,
      [this.timings.giveUpAfter],
    );
    return { waiting: Number(row.waiting), oldestAgeSeconds: Math.max(0, Number(row.oldest ?? 0)) };
  }

  /** Hands claimed rows back untried (on shutdown), due at once for whichever instance comes next. */
  async release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(
      `UPDATE ${this.table.name} SET next_attempt_at = now(), attempts = attempts - 1
        WHERE id = ANY($1::uuid[]) AND ${this.table.deliveredAt} IS NULL`,
      [ids],
    );
  }
}
