import { LoggedIn } from './auth-client';
import { TestApp } from './test-app';

/** What every scoped item answers besides its own fields. */
export interface ScopedItem {
  id: string;
  createdAt: string;
  updatedAt: string;
  [field: string]: unknown;
}

export type Body = Record<string, unknown>;

/** What a feature's suite says of its items, whoever owns them. */
export interface ScopedCrudOptions {
  /** The table behind the collection, to check that refused requests wrote nothing. */
  table: string;
  /** Exactly the keys of an item in a response. */
  keys: string[];
  /** A valid creation body; `label` differs per call, so items can be told apart. */
  create: (label: string) => Body;
  /** Valid changes: each one is applied to a fresh item and must change exactly those fields. */
  updates: Array<[name: string, change: Body]>;
  /** Creation bodies validation refuses with a 400 (an unknown property and the owner's id are always checked). */
  invalidCreates: Array<[name: string, body: Body]>;
  /** Changes validation refuses with a 400 (an unknown property and the owner's id are always checked). */
  invalidUpdates: Array<[name: string, change: Body]>;
}

/**
 * Requests to a collection whose items belong to an owner (a user, an organization), as a signed-in caller, and
 * the expectations built on them. A subclass says who owns what the caller creates and where that collection is;
 * every request goes to the caller's own collection unless another is named.
 */
export abstract class ScopedRoutes<Options extends ScopedCrudOptions = ScopedCrudOptions> {
  constructor(
    private readonly testApp: () => TestApp,
    readonly options: Options,
  ) {}

  /** The collection's route as titles show it: `/api/notes`, `/api/orgs/:id/projects`. */
  abstract readonly route: string;
  /** One item's route as titles show it: `/api/notes/:id`, `/api/orgs/:id/projects/:itemId`. */
  get itemRoute(): string {
    return `${this.route}/:id`;
  }
  /** Who owns items, in titles: `user`, `organization`. */
  abstract readonly ownerWord: string;
  /** The table column holding the owner's id. */
  abstract readonly ownerColumn: string;
  /** The body properties a client might name the owner with: each one is refused. */
  abstract readonly ownerProperties: string[];

  /** The id of the owner of what `session` creates. */
  abstract ownerOf(session: LoggedIn): string;
  /** The path of the collection `session` works in. */
  abstract collectionOf(session: LoggedIn): string;
  /** A new caller who may read and write a collection of their own, shared with nobody. */
  abstract newCaller(): Promise<LoggedIn>;

  get app(): TestApp {
    return this.testApp();
  }

  private bearer(session: LoggedIn): string {
    return `Bearer ${session.accessToken}`;
  }

  create(session: LoggedIn, body: object, collection = this.collectionOf(session)) {
    return this.app.http().post(collection).set('Authorization', this.bearer(session)).send(body);
  }

  list(session: LoggedIn, query = '', collection = this.collectionOf(session)) {
    return this.app.http().get(`${collection}${query}`).set('Authorization', this.bearer(session));
  }

  get(session: LoggedIn, id: string, collection = this.collectionOf(session)) {
    return this.app.http().get(`${collection}/${id}`).set('Authorization', this.bearer(session));
  }

  patch(session: LoggedIn, id: string, body: object, collection = this.collectionOf(session)) {
    return this.app.http().patch(`${collection}/${id}`).set('Authorization', this.bearer(session)).send(body);
  }

  remove(session: LoggedIn, id: string, collection = this.collectionOf(session)) {
    return this.app.http().delete(`${collection}/${id}`).set('Authorization', this.bearer(session));
  }

  /** Creates an item that must succeed, and answers it. */
  async newItem(session: LoggedIn, body: object = this.options.create('an item')): Promise<ScopedItem> {
    const response = await this.create(session, body);
    if (response.status !== 201)
      throw new Error(`create failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as ScopedItem;
  }

  /** The item still reads, unchanged, for its owner. */
  async expectUnchanged(owner: LoggedIn, item: ScopedItem): Promise<void> {
    const response = await this.get(owner, item.id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(item);
  }

  /** The caller's list is exactly these items, newest first. */
  async expectListed(session: LoggedIn, items: ScopedItem[]): Promise<void> {
    const response = await this.list(session).expect(200);
    expect(response.body).toEqual({ items, total: items.length });
  }

  /** Rows of the table, every owner's, to prove a refused request wrote nothing anywhere. */
  async countRows(): Promise<number> {
    const [row] = await this.app.query<{ count: string }>(
      `SELECT count(*) AS count FROM "${this.options.table}"`,
    );
    return Number(row.count);
  }

  /** Rows owned by the owners of what these callers create, read from the table itself. */
  async countRowsOwnedBy(...sessions: LoggedIn[]): Promise<number> {
    const [row] = await this.app.query<{ count: string }>(
      `SELECT count(*) AS count FROM "${this.options.table}" WHERE "${this.ownerColumn}" = ANY($1::uuid[])`,
      [sessions.map((session) => this.ownerOf(session))],
    );
    return Number(row.count);
  }

  /** An item's row as the table holds it, every column; undefined when there is none. */
  async rowOf(id: string): Promise<Record<string, unknown> | undefined> {
    const [row] = await this.app.query(`SELECT * FROM "${this.options.table}" WHERE id = $1`, [id]);
    return row;
  }
}
