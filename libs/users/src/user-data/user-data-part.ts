import { EntityManager } from 'typeorm';

/** What a part asks to be done once the deletion has committed (tell this instance what changed). */
export type AfterErase = () => void;

/**
 * Something stored about a user, as the feature that stores it declares it: deletion erases it and export lists
 * it. `erase` runs in the deletion's transaction, with the user's row locked; `export` reads on its own.
 */
export interface UserDataPart {
  /** Its key in the export (`notes`, `apiKeys`), unique across the app. */
  readonly name: string;
  /** The tables it holds rows of, so a test can prove that every table with a user in it has its part. */
  readonly tables: readonly string[];
  /**
   * The deletion may have to be refused for it (the last owner of an organization with other members): its
   * `erase` runs before any other, and throws an HttpException (409) to refuse.
   */
  readonly mayRefuse?: boolean;
  /** Its part of the export, as JSON; none: erased but never exported (refresh tokens, mail). Never a secret. */
  readonly export?: (db: EntityManager, userId: string) => Promise<unknown>;
  /**
   * Deletes (or empties) the user's rows, in the deletion's transaction, before the user row itself goes; may
   * answer what to do once that transaction has committed.
   */
  readonly erase: (db: EntityManager, userId: string) => Promise<AfterErase | void>;
}
