import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { entities as cliEntities } from '../../ormconfig';
import { LoggedIn, signUp } from './auth-client';
import { DatabaseKind, describeEachDatabase } from './databases';
import { expectNestError } from './expectations';
import { TestApp } from './test-app';

/** What every owner-scoped item answers besides its own fields. */
export interface OwnedItem {
  id: string;
  createdAt: string;
  updatedAt: string;
  [field: string]: unknown;
}

export type Body = Record<string, unknown>;

export interface OwnerScopedCrudOptions {
  /** The collection's route, e.g. `/api/notes`. */
  path: string;
  /** The table behind it, to check that refused requests wrote nothing. */
  table: string;
  /** Exactly the keys of an item in a response. */
  keys: string[];
  /** A valid creation body; `label` differs per call, so items can be told apart. */
  create: (label: string) => Body;
  /** Valid changes: each one is applied to a fresh item and must change exactly those fields. */
  updates: Array<[name: string, change: Body]>;
  /** Creation bodies validation refuses with a 400 (an unknown property and an ownerId are always checked). */
  invalidCreates: Array<[name: string, body: Body]>;
  /** Changes validation refuses with a 400 (an unknown property and an ownerId are always checked). */
  invalidUpdates: Array<[name: string, change: Body]>;
}

/** Requests to one owner-scoped resource as a signed-in user, and the expectations built on them. */
export class OwnerScopedRoutes {
  constructor(
    private readonly testApp: () => TestApp,
    private readonly options: OwnerScopedCrudOptions,
  ) {}

  get app(): TestApp {
    return this.testApp();
  }

  private bearer(session: LoggedIn): string {
    return `Bearer ${session.accessToken}`;
  }

  create(session: LoggedIn, body: object) {
    return this.app.http().post(this.options.path).set('Authorization', this.bearer(session)).send(body);
  }

  list(session: LoggedIn, query = '') {
    return this.app.http().get(`${this.options.path}${query}`).set('Authorization', this.bearer(session));
  }

  get(session: LoggedIn, id: string) {
    return this.app.http().get(`${this.options.path}/${id}`).set('Authorization', this.bearer(session));
  }

  patch(session: LoggedIn, id: string, body: object) {
    return this.app
      .http()
      .patch(`${this.options.path}/${id}`)
      .set('Authorization', this.bearer(session))
      .send(body);
  }

  remove(session: LoggedIn, id: string) {
    return this.app.http().delete(`${this.options.path}/${id}`).set('Authorization', this.bearer(session));
  }

  signUp(): Promise<LoggedIn> {
    return signUp(this.app);
  }

  /** Creates an item that must succeed, and answers it. */
  async newItem(session: LoggedIn, body: object = this.options.create('an item')): Promise<OwnedItem> {
    const response = await this.create(session, body);
    if (response.status !== 201)
      throw new Error(`create failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as OwnedItem;
  }

  /** The item still reads, unchanged, for its owner. */
  async expectUnchanged(owner: LoggedIn, item: OwnedItem): Promise<void> {
    const response = await this.get(owner, item.id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(item);
  }

  /** The caller's list is exactly these items, newest first. */
  async expectListed(session: LoggedIn, items: OwnedItem[]): Promise<void> {
    const response = await this.list(session).expect(200);
    expect(response.body).toEqual({ items, total: items.length });
  }

  /** Rows of the table, all owners included, to prove a refused request wrote nothing anywhere. */
  async countRows(): Promise<number> {
    const [row] = await this.app.query<{ count: string }>(
      `SELECT count(*) AS count FROM "${this.options.table}"`,
    );
    return Number(row.count);
  }

  /** Rows the given users own, read from the table itself. */
  async countRowsOwnedBy(...sessions: LoggedIn[]): Promise<number> {
    const [row] = await this.app.query<{ count: string }>(
      `SELECT count(*) AS count FROM "${this.options.table}" WHERE owner_id = ANY($1::uuid[])`,
      [sessions.map((session) => session.userId)],
    );
    return Number(row.count);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The checks every owner-scoped CRUD resource must pass, over HTTP on both databases: 401 without a token,
 * create/list/get/update/delete, another user's item as missing as one that never existed, pagination,
 * validation 400s, malformed ids. `more` adds the feature's own checks to the same suite and app.
 */
export function describeOwnerScopedCrud(
  title: string,
  options: OwnerScopedCrudOptions,
  more?: (routes: OwnerScopedRoutes, kind: DatabaseKind) => void,
): void {
  const { path, keys } = options;
  const sortedKeys = [...keys].sort();

  describeEachDatabase(title, (kind) => {
    let app: TestApp;
    const routes = new OwnerScopedRoutes(() => app, options);

    beforeAll(async () => {
      app = await TestApp.start(kind);
    }, 60_000);
    afterAll(async () => {
      await app?.stop();
    }, 60_000);

    describe(`POST ${path}`, () => {
      it(`answers 201 with exactly ${keys.join(', ')}, and the item can be read back`, async () => {
        const session = await routes.signUp();
        const body = options.create('created');
        const response = await routes.create(session, body);
        expect(response.status).toBe(201);
        expect(Object.keys(response.body).sort()).toEqual(sortedKeys);
        expect(response.body).toMatchObject(body);
        expect(response.body.id).toMatch(UUID);
        for (const field of ['createdAt', 'updatedAt']) {
          expect(Number.isNaN(Date.parse(response.body[field]))).toBe(false);
        }
        await routes.expectUnchanged(session, response.body as OwnedItem);
      });

      it('refuses an ownerId in the body with a 400 and creates nothing, for the caller or the named owner', async () => {
        const attacker = await routes.signUp();
        const victim = await routes.signUp();
        const before = await routes.countRows();
        const response = await routes.create(attacker, {
          ...options.create(`planted-${randomUUID()}`),
          ownerId: victim.userId,
        });
        expect(response.status).toBe(400);
        expectNestError(response.body, 400);
        await routes.expectListed(victim, []);
        await routes.expectListed(attacker, []);
        expect(await routes.countRowsOwnedBy(attacker, victim)).toBe(0);
        expect(await routes.countRows()).toBe(before);
      });

      const invalidCreates: Array<[string, Body]> = [
        ['an unknown property', { ...options.create('unknown property'), pinned: true }],
        ...options.invalidCreates,
      ];
      it.each(invalidCreates)(
        'refuses %s with a 400 (never a 500) and creates nothing',
        async (_name, body) => {
          const session = await routes.signUp();
          const response = await routes.create(session, body);
          expect(response.status).toBe(400);
          expectNestError(response.body, 400);
          await routes.expectListed(session, []);
          expect(await routes.countRowsOwnedBy(session)).toBe(0);
        },
      );

      it('answers 401 without a token and creates nothing', async () => {
        const before = await routes.countRows();
        const response = await app
          .http()
          .post(path)
          .send(options.create(`anonymous-${randomUUID()}`));
        expect(response.status).toBe(401);
        expectNestError(response.body, 401);
        expect(await routes.countRows()).toBe(before);
      });
    });

    describe(`GET ${path}`, () => {
      it('lists the caller’s items newest first, with the total', async () => {
        const session = await routes.signUp();
        const first = await routes.newItem(session, options.create('first'));
        const second = await routes.newItem(session, options.create('second'));
        const third = await routes.newItem(session, options.create('third'));
        const response = await routes.list(session);
        expect(response.status).toBe(200);
        expect(Object.keys(response.body).sort()).toEqual(['items', 'total']);
        expect(response.body.total).toBe(3);
        expect(response.body.items).toEqual([third, second, first]);
        for (const item of response.body.items) expect(Object.keys(item).sort()).toEqual(sortedKeys);
      });

      it('never lists another user’s items', async () => {
        const alice = await routes.signUp();
        const bob = await routes.signUp();
        const mine = await routes.newItem(alice, options.create('alice’s'));
        await routes.newItem(bob, options.create('bob’s'));
        await routes.newItem(bob, options.create('bob’s too'));
        await routes.expectListed(alice, [mine]);
        const forBob = await routes.list(bob).expect(200);
        expect(forBob.body.total).toBe(2);
        expect((forBob.body.items as OwnedItem[]).map((item) => item.id)).not.toContain(mine.id);
      });

      it('pages with limit and offset, keeping the total of all the caller’s items', async () => {
        const session = await routes.signUp();
        const items: OwnedItem[] = [];
        for (const label of ['n1', 'n2', 'n3', 'n4'])
          items.push(await routes.newItem(session, options.create(label)));
        const newestFirst = [...items].reverse();

        const page = await routes.list(session, '?limit=2&offset=1');
        expect(page.status).toBe(200);
        expect(page.body).toEqual({ items: newestFirst.slice(1, 3), total: 4 });

        const last = await routes.list(session, '?limit=2&offset=3').expect(200);
        expect(last.body).toEqual({ items: newestFirst.slice(3), total: 4 });

        const beyond = await routes.list(session, '?offset=10').expect(200);
        expect(beyond.body).toEqual({ items: [], total: 4 });
      });

      it('accepts limit=100', async () => {
        const session = await routes.signUp();
        const item = await routes.newItem(session);
        const response = await routes.list(session, '?limit=100');
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ items: [item], total: 1 });
      });

      it.each([
        ['limit=0', '?limit=0'],
        ['limit=101', '?limit=101'],
        ['limit=abc', '?limit=abc'],
        ['limit=1.5', '?limit=1.5'],
        ['offset=-1', '?offset=-1'],
        ['offset=abc', '?offset=abc'],
      ])('refuses %s with a 400', async (_name, query) => {
        const session = await routes.signUp();
        await routes.newItem(session);
        const response = await routes.list(session, query);
        expect(response.status).toBe(400);
        expectNestError(response.body, 400);
      });

      it('answers 401 without a token', async () => {
        const response = await app.http().get(path);
        expect(response.status).toBe(401);
        expectNestError(response.body, 401);
      });
    });

    describe(`GET/PATCH/DELETE ${path}/:id of one’s own item`, () => {
      it('GET answers 200 with the item', async () => {
        const session = await routes.signUp();
        const item = await routes.newItem(session, options.create('read me'));
        const response = await routes.get(session, item.id);
        expect(response.status).toBe(200);
        expect(Object.keys(response.body).sort()).toEqual(sortedKeys);
        expect(response.body).toEqual(item);
      });

      it.each(options.updates)(
        'PATCH %s changes exactly that, keeps the rest and createdAt, and bumps updatedAt',
        async (_name, change) => {
          const session = await routes.signUp();
          const item = await routes.newItem(session, options.create('before the change'));
          await sleep(20);
          const response = await routes.patch(session, item.id, change);
          expect(response.status).toBe(200);
          expect(Object.keys(response.body).sort()).toEqual(sortedKeys);
          const { updatedAt, ...unchanged } = item;
          expect(response.body).toMatchObject({ ...unchanged, ...change });
          expect(Date.parse(response.body.updatedAt)).toBeGreaterThan(Date.parse(updatedAt));
          await routes.expectUnchanged(session, response.body as OwnedItem);
        },
      );

      const invalidUpdates: Array<[string, (other: LoggedIn) => Body]> = [
        ['an ownerId', (other) => ({ ownerId: other.userId })],
        [
          'an ownerId next to a valid change',
          (other) => ({ ...(options.updates[0]?.[1] ?? {}), ownerId: other.userId }),
        ],
        ['an unknown property', () => ({ pinned: true })],
        ...options.invalidUpdates.map(([name, change]): [string, () => Body] => [name, () => change]),
      ];
      it.each(invalidUpdates)('PATCH refuses %s with a 400 and changes nothing', async (_name, makeBody) => {
        const owner = await routes.signUp();
        const other = await routes.signUp();
        const item = await routes.newItem(owner, options.create('stays put'));
        const response = await routes.patch(owner, item.id, makeBody(other));
        expect(response.status).toBe(400);
        expectNestError(response.body, 400);
        await routes.expectUnchanged(owner, item);
        await routes.expectListed(other, []);
      });

      it('DELETE answers 204, then the item is gone: GET, PATCH and DELETE answer 404', async () => {
        const session = await routes.signUp();
        const kept = await routes.newItem(session, options.create('kept'));
        const item = await routes.newItem(session, options.create('deleted'));
        const response = await routes.remove(session, item.id);
        expect(response.status).toBe(204);
        expect(response.text).toBe('');
        const get = await routes.get(session, item.id);
        expect(get.status).toBe(404);
        expectNestError(get.body, 404);
        await routes.patch(session, item.id, options.create('revived')).expect(404);
        await routes.remove(session, item.id).expect(404);
        await routes.expectListed(session, [kept]);
      });
    });

    describe('another user’s item, a missing item, a malformed id', () => {
      it('answers 404 to GET, PATCH and DELETE of another user’s item, which stays unchanged for its owner', async () => {
        const owner = await routes.signUp();
        const intruder = await routes.signUp();
        const secret = `private-${randomUUID()}`;
        const item = await routes.newItem(owner, options.create(secret));

        const get = await routes.get(intruder, item.id);
        expect(get.status).toBe(404);
        expectNestError(get.body, 404);
        expect(JSON.stringify(get.body)).not.toContain(secret);

        const patch = await routes.patch(intruder, item.id, options.create('defaced'));
        expect(patch.status).toBe(404);
        expectNestError(patch.body, 404);

        const del = await routes.remove(intruder, item.id);
        expect(del.status).toBe(404);
        expectNestError(del.body, 404);

        await routes.expectUnchanged(owner, item);
        await routes.expectListed(owner, [item]);
      });

      it('answers the same 404 for another user’s item as for one that never existed', async () => {
        const owner = await routes.signUp();
        const intruder = await routes.signUp();
        const item = await routes.newItem(owner);
        const foreign = await routes.get(intruder, item.id).expect(404);
        const missing = await routes.get(intruder, randomUUID()).expect(404);
        expect(foreign.body).toEqual(missing.body);
      });

      it('answers 404 to GET, PATCH and DELETE of a random well-formed uuid', async () => {
        const session = await routes.signUp();
        const item = await routes.newItem(session);
        const id = randomUUID();
        for (const response of [
          await routes.get(session, id),
          await routes.patch(session, id, options.create('nothing')),
          await routes.remove(session, id),
        ]) {
          expect(response.status).toBe(404);
          expectNestError(response.body, 404);
        }
        await routes.expectUnchanged(session, item);
      });

      it.each(['not-a-uuid', '12345', `${randomUUID()}x`])(
        'answers 400 to GET, PATCH and DELETE of the malformed id %s',
        async (id) => {
          const session = await routes.signUp();
          const item = await routes.newItem(session);
          for (const response of [
            await routes.get(session, id),
            await routes.patch(session, id, options.create('nothing')),
            await routes.remove(session, id),
          ]) {
            expect(response.status).toBe(400);
            expectNestError(response.body, 400);
          }
          await routes.expectUnchanged(session, item);
        },
      );

      it('answers 401 without a token to GET, PATCH and DELETE, and the item is untouched', async () => {
        const session = await routes.signUp();
        const item = await routes.newItem(session);
        for (const response of [
          await app.http().get(`${path}/${item.id}`),
          await app.http().patch(`${path}/${item.id}`).send(options.create('anonymous')),
          await app.http().delete(`${path}/${item.id}`),
        ]) {
          expect(response.status).toBe(401);
          expectNestError(response.body, 401);
        }
        await routes.expectUnchanged(session, item);
      });
    });

    describe(`the ${options.table} table`, () => {
      it('is exactly what its entity describes once the migrations have run', async () => {
        const pending = await app.app.get(DataSource).driver.createSchemaBuilder().log();
        const queries = pending.upQueries.map((query) => query.query);
        expect(queries.filter((query) => query.includes(`"${options.table}"`))).toEqual([]);
      });

      it('has its entity in ormconfig.ts, so that migration:generate sees the table', () => {
        const metadata = app.app
          .get(DataSource)
          .entityMetadatas.find((entity) => entity.tableName === options.table);
        expect(metadata).toBeDefined();
        expect(cliEntities.map((entity) => entity.name)).toContain(metadata!.name);
      });
    });

    more?.(routes, kind);
  });
}
