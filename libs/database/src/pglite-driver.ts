import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { claimDataDir } from './pglite-data-dir-lock';
import { PGLITE_WORKER_SOURCE } from './pglite-worker-source';

type Callback<T> = (error: Error | null, result?: T) => void;

interface PgResult {
  command: string;
  rows: unknown[];
  rowCount: number;
  fields: { name: string; dataTypeID: number }[];
}

/** An error as it crosses from the database thread: its message, stack and own fields (`code`, `detail`, ...). */
interface SerialisedError {
  message: string;
  stack?: string;
  props: Record<string, unknown>;
}

type Request = { op: 'query'; text: string; params: unknown[] } | { op: 'rollback' } | { op: 'close' };

type Message =
  | { ready: true }
  | { ready: false; error: SerialisedError }
  | { id: number; result?: PgResult; error?: SerialisedError; inTransaction: boolean };

/** What callers of the embedded database read on the error of a failed statement, as `pg` raises it. */
class DatabaseError extends Error {}

/** The message TypeORM's callers (and the app's error mapping) know as "the database is unavailable". */
const CLOSED = 'The embedded database is closed';

/**
 * The same value made of this realm's objects. A message from a thread is built from the main context's
 * globals; code running in a `vm` context (Jest runs the app in one) would find `instanceof Date` false on it.
 */
function adopt(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(adopt);
  if (ArrayBuffer.isView(value)) {
    return value instanceof Uint8Array
      ? value
      : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (Object.prototype.toString.call(value) === '[object Date]') return new Date((value as Date).getTime());
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = adopt(item);
  return copy;
}

function rebuildError(serialised: SerialisedError): Error {
  const error =
    'code' in serialised.props ? new DatabaseError(serialised.message) : new Error(serialised.message);
  Object.assign(error, serialised.props);
  if (serialised.stack !== undefined) error.stack = serialised.stack;
  return error;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

/**
 * The thread that runs PGlite (PostgreSQL compiled to WebAssembly), so that a statement does not hold up the
 * event loop serving HTTP. Requests and answers travel by structured clone, which keeps what PGlite's parsers
 * return (Date, Uint8Array, BigInt, parsed JSON) as they are.
 */
class DatabaseThread {
  /** Whether the session was inside a transaction after the last answer. */
  inTransaction = false;
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (result: unknown) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private failure?: Error;
  private closing?: Promise<void>;
  private readonly releaseDataDir: () => void;

  constructor(private readonly dataDir: string) {
    this.releaseDataDir = claimDataDir(dataDir);
    let opened!: () => void;
    let notOpened!: (error: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      opened = resolve;
      notOpened = reject;
    });
    // A start-up failure reaches whoever connects; nobody connecting is no reason for an unhandled rejection.
    this.ready.catch(() => undefined);
    this.worker = new Worker(PGLITE_WORKER_SOURCE, {
      eval: true,
      workerData: { pgliteEntry: require.resolve('@electric-sql/pglite'), dataDir },
    });
    this.worker.on('message', (received: Message) => {
      const message =
        Object.getPrototypeOf(received) === Object.prototype ? received : (adopt(received) as Message);
      if ('ready' in message) {
        if (message.ready) {
          opened();
          if (this.pending.size === 0) this.worker.unref();
          return;
        }
        const error = new Error(
          `The embedded database at ${this.dataDir} could not be opened: ${message.error.message}`,
        );
        notOpened(error);
        this.fail(error);
        void this.worker.terminate();
        return;
      }
      this.answer(message);
    });
    this.worker.on('error', (error) => {
      const failure = new Error(`${CLOSED}: its thread failed (${reasonOf(error)})`);
      notOpened(
        new Error(`The embedded database at ${this.dataDir} could not be opened: ${reasonOf(error)}`),
      );
      this.fail(failure);
    });
    this.worker.on('exit', (code) => {
      const failure = this.closing
        ? new Error(CLOSED)
        : new Error(`${CLOSED}: its thread exited (code ${code})`);
      notOpened(new Error(`The embedded database at ${this.dataDir} could not be opened: its thread exited`));
      this.fail(failure);
      this.releaseDataDir();
    });
  }

  /** Whether an answer is still to come. */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  request<T>(request: Request): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      try {
        this.worker.postMessage({ id, ...request });
      } catch (error) {
        // A parameter the structured clone cannot carry (a function, a symbol).
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      // Held only while an answer is due: an idle database does not keep the process alive.
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
    });
  }

  /** Closes PGlite (which flushes its files), then ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        if (!this.failure) {
          await this.ready;
          await this.request({ op: 'close' });
        }
      } finally {
        this.fail(new Error(CLOSED));
        await this.worker.terminate();
        this.releaseDataDir();
      }
    })();
    return this.closing;
  }

  private answer(message: Extract<Message, { id: number }>): void {
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.worker.unref();
    this.inTransaction = message.inTransaction;
    if (message.error) waiting.reject(rebuildError(message.error));
    else waiting.resolve(message.result);
  }

  /** From now on every request fails with `error`, and so do those still waiting for an answer. */
  private fail(error: Error): void {
    this.failure ??= error;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const { reject } of waiting) reject(this.failure);
  }
}

/** The `pg.Client` surface TypeORM's PostgreSQL driver uses, answered by the database thread. */
class PgliteClient extends EventEmitter {
  constructor(private readonly thread: DatabaseThread) {
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

  private run(text: string, params: unknown[]): Promise<PgResult> {
    return this.thread.request<PgResult>({ op: 'query', text, params });
  }
}

/**
 * A `pg`-compatible module for TypeORM's `driver` option, backed by an embedded PostgreSQL (PGlite) that runs in
 * a worker thread.
 *
 * PGlite is one PostgreSQL session. Sharing it between query runners would let one request see another's
 * uncommitted rows and let one ROLLBACK undo another's work, so the pool lends the session to one query runner
 * at a time, and a runner released inside a transaction is rolled back before the next one gets it.
 */
export function createPgliteDriver(dataDir: string) {
  class Pool extends EventEmitter {
    private readonly thread?: DatabaseThread;
    private readonly startFailure?: Error;
    private readonly lock = new SessionLock();
    private closed = false;
    private ending?: Promise<void>;

    constructor() {
      super();
      try {
        this.thread = new DatabaseThread(dataDir);
      } catch (error) {
        this.startFailure = new Error(
          `The embedded database at ${dataDir} could not be opened: ${reasonOf(error)}`,
        );
      }
    }

    connect(
      callback: (error: Error | null, client?: PgliteClient, release?: (error?: Error) => void) => void,
    ): void {
      const thread = this.thread;
      if (!thread) {
        callback(this.startFailure ?? new Error(CLOSED));
        return;
      }
      if (this.closed) {
        callback(new Error(CLOSED));
        return;
      }
      this.lock
        .acquire()
        .then(async (unlock) => {
          try {
            await thread.ready;
          } catch (error) {
            unlock();
            throw error;
          }
          const client = new PgliteClient(thread);
          let released = false;
          const release = () => {
            if (released) return;
            released = true;
            void this.rollbackOpenTransaction(thread).finally(unlock);
          };
          callback(null, client, release);
        })
        .catch((error: Error) => callback(error));
    }

    end(callback?: (error?: Error) => void): void {
      this.closed = true;
      // Waits for the current holder so that the last committed write is flushed before the files close.
      this.ending ??= this.lock.acquire().then(async (unlock) => {
        try {
          await this.thread?.close();
        } finally {
          unlock();
        }
      });
      this.ending.then(
        () => callback?.(),
        (error: Error) => callback?.(error),
      );
    }

    private async rollbackOpenTransaction(thread: DatabaseThread): Promise<void> {
      if (thread.failed || (!thread.inTransaction && !thread.busy)) return;
      try {
        await thread.request({ op: 'rollback' });
      } catch {
        // The session is unusable only if PGlite itself failed; the next query will report that.
      }
    }
  }

  return { Pool, defaults: {} };
}
