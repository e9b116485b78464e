import type { DpopKeyPair, DpopKeyStore } from './dpop.js';

// The few IndexedDB shapes the store uses: the package compiles without the DOM's types too.
interface IdbRequestLike<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}

interface IdbOpenRequestLike extends IdbRequestLike<IdbDatabaseLike> {
  onupgradeneeded: (() => void) | null;
  onblocked: (() => void) | null;
}

interface IdbObjectStoreLike {
  get(key: string): IdbRequestLike<unknown>;
  add(value: unknown, key: string): IdbRequestLike<unknown>;
}

interface IdbTransactionLike {
  readonly error: unknown;
  objectStore(name: string): IdbObjectStoreLike;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

interface IdbDatabaseLike {
  readonly objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: 'readonly' | 'readwrite'): IdbTransactionLike;
  close(): void;
  onversionchange: (() => void) | null;
}

/** The subset of `indexedDB` (the browser's `IDBFactory`) the store uses. */
export interface IdbFactoryLike {
  open(name: string, version?: number): IdbOpenRequestLike;
}

const DATABASE = 'gatehouse-dpop';
const VERSION = 1;
const STORE = 'keys';

function failure(error: unknown, fallback: string): Error {
  return error instanceof Error ? error : new Error(fallback);
}

/**
 * The browser profile's DPoP key pair in IndexedDB, under the client's name: the `CryptoKeyPair` object itself
 * (browsers clone non-extractable keys into IndexedDB as they are), shared by every tab of the profile. The
 * database is opened once per page.
 */
export class IndexedDbKeyStore implements DpopKeyStore {
  #database: Promise<IdbDatabaseLike> | null = null;

  constructor(
    private readonly indexedDB: IdbFactoryLike,
    private readonly name: string,
  ) {}

  async get(): Promise<DpopKeyPair | undefined> {
    const database = await this.#open();
    return new Promise((resolve, reject) => {
      const transaction = database.transaction(STORE, 'readonly');
      const read = transaction.objectStore(STORE).get(this.name);
      transaction.oncomplete = () => resolve((read.result as DpopKeyPair | undefined) ?? undefined);
      transaction.onerror = transaction.onabort = () =>
        reject(failure(transaction.error, 'IndexedDB could not read the key'));
    });
  }

  async addIfAbsent(pair: DpopKeyPair): Promise<DpopKeyPair> {
    const database = await this.#open();
    return new Promise((resolve, reject) => {
      // One read-write transaction reads and adds: IndexedDB runs those of a store one after another, so the
      // first tab's key is the one every tab reads.
      const transaction = database.transaction(STORE, 'readwrite');
      const store = transaction.objectStore(STORE);
      const read = store.get(this.name);
      let kept = pair;
      read.onsuccess = () => {
        if (read.result !== undefined) kept = read.result as DpopKeyPair;
        else store.add(pair, this.name);
      };
      transaction.oncomplete = () => resolve(kept);
      transaction.onerror = transaction.onabort = () =>
        reject(failure(transaction.error, 'IndexedDB could not keep the key'));
    });
  }

  #open(): Promise<IdbDatabaseLike> {
    this.#database ??= new Promise<IdbDatabaseLike>((resolve, reject) => {
      const request = this.indexedDB.open(DATABASE, VERSION);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
      };
      request.onsuccess = () => {
        const database = request.result;
        // A later version opened in another tab: step aside rather than block it.
        database.onversionchange = () => database.close();
        resolve(database);
      };
      request.onerror = () => reject(failure(request.error, 'IndexedDB could not be opened'));
      request.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
    });
    return this.#database;
  }
}
