import { EntityManager } from 'typeorm';
import { UserDataPart } from './user-data-part';

/** A table or column name, as the generator and the migrations write them. */
const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** A field of the export, as the API spells its fields. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The simple case: a table whose rows belong to the user named in one of its columns. */
export interface OwnedRows {
  /** The part's key in the export. */
  readonly name: string;
  readonly table: string;
  /** The column holding the owner's user id. */
  readonly ownerColumn: string;
  /**
   * Each exported field and the column it is read from; never a column holding a secret or a hash. Omitted: the
   * rows are erased, never exported.
   */
  readonly columns?: Readonly<Record<string, string>>;
  /** The column the export lists newest first; `created_at` unless given. */
  readonly newestFirstBy?: string;
}

function sqlName(name: string, what: string): string {
  if (!SQL_NAME.test(name)) throw new Error(`user data: ${what} "${name}" is not a plain SQL name`);
  return `"${name}"`;
}

/**
 * The part of a table whose rows belong to one user: its export lists their `columns`, newest first, and its
 * erase deletes them (by the owner column, whether or not a foreign key would cascade). A feature registers
 * itself with one call, e.g. `registerUserData(ownedRows({ name: 'notes', table: 'notes', ownerColumn:
 * 'owner_id', columns: { id: 'id', title: 'title', createdAt: 'created_at' } }))`.
 */
export function ownedRows(rows: OwnedRows): UserDataPart {
  const table = sqlName(rows.table, 'table');
  const owner = sqlName(rows.ownerColumn, 'owner column');
  const erase = async (db: EntityManager, userId: string): Promise<void> => {
    await db.query(`DELETE FROM ${table} WHERE ${owner} = $1`, [userId]);
  };
  if (!rows.columns) return { name: rows.name, tables: [rows.table], erase };

  const fields = Object.entries(rows.columns).map(([field, column]) => {
    if (!FIELD_NAME.test(field))
      throw new Error(`user data: field "${field}" of ${rows.name} is not a plain name`);
    return `${sqlName(column, 'column')} AS "${field}"`;
  });
  if (fields.length === 0) throw new Error(`user data: ${rows.name} exports no column`);
  const order = sqlName(rows.newestFirstBy ?? 'created_at', 'ordering column');
  const select = `SELECT ${fields.join(', ')} FROM ${table} WHERE ${owner} = $1 ORDER BY ${order} DESC`;
  return {
    name: rows.name,
    tables: [rows.table],
    export: (db, userId) => db.query<Record<string, unknown>[]>(select, [userId]),
    erase,
  };
}
