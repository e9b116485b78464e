import { PGlite } from '@electric-sql/pglite';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';

type Callback<T> = (error: Error | null, result?: T) => void;

interface PgResult {
  command: string;
  rows: unknown[];
  rowCount: number;
  fields: { name: string; dataTypeID: number }[];
}

/** One-at-a-time access to the single PGlite session: a FIFO lock whose holder is one TypeORM query runner. */
class SessionLock {
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => held);
    return ready;
  }
}

/** The `pg.Client` surface TypeORM's PostgreSQL driver uses, answered by PGlite. */
class PgliteClient extends EventEmitter {
  constructor(private readonly db: PGlite) {
    super();
  }

  query(text: string, callback: Callback<PgResult>): void;
  query(text: string, params?: unknown[]): Promise<PgResult>;
  query(text: string, paramsOrCallback?: unknown[] | Callback<PgResult>): Promise<PgResult> | void {
    if (typeof paramsOrCallback === 'function') {
      this.run(text, []).then(
        (result) => paramsOrCallback(null, result),
        (error: Error) => paramsOrCallback(error),
      );
      return;
    }
    return this.run(text, paramsOrCallback ?? []);
  }

  private async run(text: string, params: unknown[]): Promise<PgResult> {
    const result = await this.db.query(text, params);
    const raw = result as typeof result & { command?: string; rowCount?: number };
    return {
      command: raw.command ?? text.trim().split(/\s+/, 1)[0].toUpperCase(),
      rows: result.rows,
      rowCount: raw.rowCount ?? result.affectedRows ?? result.rows.length,
      fields: result.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
    };
  }
}

/**
 * A `pg`-compatible module for TypeORM's `driver` option, backed by an embedded PostgreSQL (PGlite).
 *
 * PGlite is one PostgreSQL session. Sharing it between query runners would let one request see another's
 * uncommitted rows and let one ROLLBACK undo another's work, so the pool lends the session to one query runner
 * at a time, and a runner released inside a transaction is rolled back before the next one gets it.
 */
export function createPgliteDriver(dataDir: string) {
  class Pool extends EventEmitter {
    readonly db: PGlite;
    private readonly lock = new SessionLock();
    private closed = false;

    constructor() {
      super();
      mkdirSync(dataDir, { recursive: true });
      this.db = new PGlite(dataDir);
    }

    connect(
      callback: (error: Error | null, client?: PgliteClient, release?: (error?: Error) => void) => void,
    ): void {
      if (this.closed) {
        callback(new Error('The embedded database is closed'));
        return;
      }
      this.lock
        .acquire()
        .then(async (unlock) => {
          await this.db.waitReady;
          const client = new PgliteClient(this.db);
          const release = () => {
            void this.rollbackOpenTransaction().finally(unlock);
          };
          callback(null, client, release);
        })
        .catch((error: Error) => callback(error));
    }

    end(callback?: (error?: Error) => void): void {
      this.closed = true;
      // Waits for the current holder so that the last committed write is flushed before the files close.
      this.lock
        .acquire()
        .then(async (unlock) => {
          try {
            if (!this.db.closed) await this.db.close();
          } finally {
            unlock();
          }
        })
        .then(
          () => callback?.(),
          (error: Error) => callback?.(error),
        );
    }

    private async rollbackOpenTransaction(): Promise<void> {
      try {
        if (!this.db.closed && this.db.isInTransaction()) await this.db.exec('ROLLBACK');
      } catch {
        // The session is unusable only if PGlite itself failed; the next query will report that.
      }
    }
  }

  return { Pool, defaults: {} };
}
