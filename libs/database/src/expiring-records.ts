import { FactoryProvider, Injectable } from '@nestjs/common';

/** A table or column name, as the migrations write them. */
const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Rows that serve nothing once a moment has passed (a one-time code, a challenge, a link, a record of a try),
 * which the periodic clean-up deletes in small batches.
 */
export interface ExpiringRecords {
  readonly table: string;
  /** The column, or columns, that name one row. */
  readonly key: string | readonly string[];
  /** The moment each row is measured from: its expiry, or when it was last of use. */
  readonly column: string;
  /** Seconds a row is kept past that moment; 0 unless given (it goes once the moment has passed). */
  readonly keptFor?: number;
}

function sqlName(name: string): string {
  if (!SQL_NAME.test(name)) throw new Error(`expiring records: "${name}" is not a plain SQL name`);
  return `"${name}"`;
}

/** The statement that deletes one batch of a table's rows whose moment is before $1, at most $2 of them. */
function purgeStatement(records: ExpiringRecords): string {
  const table = sqlName(records.table);
  const key = (typeof records.key === 'string' ? [records.key] : [...records.key]).map(sqlName).join(', ');
  const column = sqlName(records.column);
  return `DELETE FROM ${table} WHERE (${key}) IN (SELECT ${key} FROM ${table} WHERE ${column} < $1 LIMIT $2)`;
}

/** One registered table: its purge, and how long past its moment a row is kept. */
export interface ExpiringTable {
  readonly table: string;
  readonly keptFor: number;
  readonly purge: string;
}

/**
 * The registry of tables whose rows expire: each feature registers its own (registerExpiringRecords in its
 * module's providers), so a new one-time record is purged without the clean-up naming it.
 */
@Injectable()
export class ExpiringRecordsRegistry {
  private readonly tables = new Map<string, ExpiringTable>();

  /** Adds tables; one registered twice stops the start. */
  register(...records: readonly ExpiringRecords[]): void {
    for (const each of records) {
      if (this.tables.has(each.table)) throw new Error(`expiring records "${each.table}" registered twice`);
      this.tables.set(each.table, {
        table: each.table,
        keptFor: each.keptFor ?? 0,
        purge: purgeStatement(each),
      });
    }
  }

  /** The registered tables, by name. */
  registered(): ExpiringTable[] {
    return [...this.tables.values()].sort((a, b) => (a.table < b.table ? -1 : 1));
  }
}

let registrations = 0;

/**
 * The provider that registers a feature's expiring tables when its module starts, built from what the module
 * can inject (a setting, say): `registerExpiringRecords([AppConfig], (config: AppConfig) => [{ … }])`.
 */
export function registerExpiringRecords<D extends unknown[]>(
  inject: NonNullable<FactoryProvider['inject']>,
  build: (...dependencies: D) => readonly ExpiringRecords[],
): FactoryProvider {
  registrations += 1;
  return {
    // A token of its own each time: two features' registrations are two providers.
    provide: Symbol(`expiring records registration ${registrations}`),
    inject: [ExpiringRecordsRegistry, ...inject],
    useFactory: (registry: ExpiringRecordsRegistry, ...dependencies: D) => {
      const records = build(...dependencies);
      registry.register(...records);
      return records.map((each) => each.table);
    },
  };
}
