import { LoggedIn, signUp } from './auth-client';
import { DatabaseKind } from './databases';
import { describeScopedCrud } from './scoped-crud';
import { Body, ScopedCrudOptions, ScopedItem, ScopedRoutes } from './scoped-routes';

/** What every owner-scoped item answers besides its own fields. */
export type OwnedItem = ScopedItem;
export type { Body };

export interface OwnerScopedCrudOptions extends ScopedCrudOptions {
  /** The collection's route, e.g. `/api/notes`. */
  path: string;
}

/** Requests to one owner-scoped resource as a signed-in user, and the expectations built on them. */
export class OwnerScopedRoutes extends ScopedRoutes<OwnerScopedCrudOptions> {
  readonly ownerWord = 'user';
  readonly ownerColumn = 'owner_id';
  readonly ownerProperties = ['ownerId'];

  get route(): string {
    return this.options.path;
  }

  ownerOf(session: LoggedIn): string {
    return session.userId;
  }

  collectionOf(): string {
    return this.options.path;
  }

  newCaller(): Promise<LoggedIn> {
    return this.signUp();
  }

  signUp(): Promise<LoggedIn> {
    return signUp(this.app);
  }
}

/**
 * The checks every owner-scoped CRUD resource must pass, over HTTP on both databases (test/support/scoped-crud.ts):
 * 401 without a token, create/list/get/update/delete, another user's item as missing as one that never existed,
 * pagination, validation 400s, an ownerId refused, malformed ids. `more` adds the feature's own checks to the same
 * suite and app.
 */
export function describeOwnerScopedCrud(
  title: string,
  options: OwnerScopedCrudOptions,
  more?: (routes: OwnerScopedRoutes, kind: DatabaseKind) => void,
): void {
  describeScopedCrud(title, (app) => new OwnerScopedRoutes(app, options), more);
}
