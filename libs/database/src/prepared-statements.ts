import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';

/** SQL a hot path sends over and over: named, so PostgreSQL parses and plans it once per connection. */
export interface NamedStatement {
  /** Unique in the app: `pg` keeps one prepared statement per name on each connection. */
  readonly name: string;
  readonly text: string;
}

/**
 * Runs named statements straight on the data source's `pg` pool, past TypeORM's query runners: no per-call
 * query building, no runner to create and release, and the server skips parse and plan after a connection's first
 * call. On the embedded database (PGlite, one session behind TypeORM's lock) the same SQL goes through TypeORM,
 * so it still waits its turn behind any open transaction.
 */
@Injectable()
export class PreparedStatements {
  private readonly pool: Pool | undefined;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    const master = (dataSource.driver as unknown as { master?: unknown }).master;
    this.pool = master instanceof Pool ? master : undefined;
  }

  /** The rows the statement returns (its `RETURNING` rows for a write). */
  async rows<T>(statement: NamedStatement, values: unknown[]): Promise<T[]> {
    if (!this.pool) return this.dataSource.query<T[]>(statement.text, values);
    const result = await this.pool.query({ name: statement.name, text: statement.text, values });
    return result.rows as T[];
  }
}
