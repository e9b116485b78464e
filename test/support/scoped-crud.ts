import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { entities as cliEntities } from '../../ormconfig';
import { LoggedIn } from './auth-client';
import { DatabaseKind, describeEachDatabase } from './databases';
import { expectNestError } from './expectations';
import { Body, ScopedItem, ScopedRoutes } from './scoped-routes';
import { TestApp } from './test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const withArticle = (word: string) => `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;

/**
 * A suite on both databases, each with its own app: the checks every scoped collection passes (below), then the
 * caller's own (`more`), on the same routes and app.
 */
export function describeScopedCrud<Routes extends ScopedRoutes>(
  title: string,
  routesOf: (app: () => TestApp) => Routes,
  more?: (routes: Routes, kind: DatabaseKind) => void,
): void {
  describeEachDatabase(title, (kind) => {
    let app: TestApp;
    const routes = routesOf(() => app);

    beforeAll(async () => {
      app = await TestApp.start(kind);
    }, 60_000);
    afterAll(async () => {
      await app?.stop();
    }, 60_000);

    describeCommonChecks(routes);
    more?.(routes, kind);
  });
}

/**
 * What every scoped collection must do, whoever owns it: 401 without a token, create/list/get/update/delete,
 * another owner's item as missing as one that never existed, pagination, validation 400s, malformed ids, the
 * owner never taken from a body, and a table that matches its entity.
 */
function describeCommonChecks(routes: ScopedRoutes): void {
  const { options, route } = routes;
  const { keys } = options;
  const sortedKeys = [...keys].sort();
  const another = `another ${routes.ownerWord}’s`;
  const http = () => routes.app.http();

  describe(`POST ${route}`, () => {
    it(`answers 201 with exactly ${keys.join(', ')}, and the item can be read back`, async () => {
      const session = await routes.newCaller();
      const body = options.create('created');
      const response = await routes.create(session, body);
      expect(response.status).toBe(201);
      expect(Object.keys(response.body).sort()).toEqual(sortedKeys);
      expect(response.body).toMatchObject(body);
      expect(response.body.id).toMatch(UUID);
      for (const field of ['createdAt', 'updatedAt']) {
        expect(Number.isNaN(Date.parse(response.body[field]))).toBe(false);
      }
      await routes.expectUnchanged(session, response.body as ScopedItem);
      const row = await routes.rowOf(response.body.id);
      expect(row?.[routes.ownerColumn]).toBe(routes.ownerOf(session));
    });

    it.each(routes.ownerProperties.map((property) => [withArticle(property), property]))(
      'refuses %s in the body with a 400 and creates nothing, for the caller or the named owner',
      async (_name, property) => {
        const attacker = await routes.newCaller();
        const victim = await routes.newCaller();
        const before = await routes.countRows();
        const response = await routes.create(attacker, {
          ...options.create(`planted-${randomUUID()}`),
          [property]: routes.ownerOf(victim),
        });
        expect(response.status).toBe(400);
        expectNestError(response.body, 400);
        await routes.expectListed(victim, []);
        await routes.expectListed(attacker, []);
        expect(await routes.countRowsOwnedBy(attacker, victim)).toBe(0);
        expect(await routes.countRows()).toBe(before);
      },
    );

    const invalidCreates: Array<[string, Body]> = [
      ['an unknown property', { ...options.create('unknown property'), pinned: true }],
      ...options.invalidCreates,
    ];
    it.each(invalidCreates)(
      'refuses %s with a 400 (never a 500) and creates nothing',
      async (_name, body) => {
        const session = await routes.newCaller();
        const response = await routes.create(session, body);
        expect(response.status).toBe(400);
        expectNestError(response.body, 400);
        await routes.expectListed(session, []);
        expect(await routes.countRowsOwnedBy(session)).toBe(0);
      },
    );

    it('answers 401 without a token and creates nothing', async () => {
      const collection = routes.collectionOf(await routes.newCaller());
      const before = await routes.countRows();
      const response = await http()
        .post(collection)
        .send(options.create(`anonymous-${randomUUID()}`));
      expect(response.status).toBe(401);
      expectNestError(response.body, 401);
      expect(await routes.countRows()).toBe(before);
    });
  });

  describe(`GET ${route}`, () => {
    it('lists the caller’s items newest first, with the total', async () => {
      const session = await routes.newCaller();
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

    it(`never lists ${another} items`, async () => {
      const alice = await routes.newCaller();
      const bob = await routes.newCaller();
      const mine = await routes.newItem(alice, options.create('alice’s'));
      await routes.newItem(bob, options.create('bob’s'));
      await routes.newItem(bob, options.create('bob’s too'));
      await routes.expectListed(alice, [mine]);
      const forBob = await routes.list(bob).expect(200);
      expect(forBob.body.total).toBe(2);
      expect((forBob.body.items as ScopedItem[]).map((item) => item.id)).not.toContain(mine.id);
    });

    it('pages with limit and offset, keeping the total of all the caller’s items', async () => {
      const session = await routes.newCaller();
      const items: ScopedItem[] = [];
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
      const session = await routes.newCaller();
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
      const session = await routes.newCaller();
      await routes.newItem(session);
      const response = await routes.list(session, query);
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
    });

    it('answers 401 without a token', async () => {
      const response = await http().get(routes.collectionOf(await routes.newCaller()));
      expect(response.status).toBe(401);
      expectNestError(response.body, 401);
    });
  });

  describe(`GET/PATCH/DELETE ${routes.itemRoute} of the caller’s own item`, () => {
    it('GET answers 200 with the item', async () => {
      const session = await routes.newCaller();
      const item = await routes.newItem(session, options.create('read me'));
      const response = await routes.get(session, item.id);
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(sortedKeys);
      expect(response.body).toEqual(item);
    });

    it.each(options.updates)(
      'PATCH %s changes exactly that, keeps the rest and createdAt, and bumps updatedAt',
      async (_name, change) => {
        const session = await routes.newCaller();
        const item = await routes.newItem(session, options.create('before the change'));
        await sleep(20);
        const response = await routes.patch(session, item.id, change);
        expect(response.status).toBe(200);
        expect(Object.keys(response.body).sort()).toEqual(sortedKeys);
        const { updatedAt, ...unchanged } = item;
        expect(response.body).toMatchObject({ ...unchanged, ...change });
        expect(Date.parse(response.body.updatedAt)).toBeGreaterThan(Date.parse(updatedAt));
        await routes.expectUnchanged(session, response.body as ScopedItem);
      },
    );

    const invalidUpdates: Array<[string, (other: LoggedIn) => Body]> = [
      ...routes.ownerProperties.flatMap((property): Array<[string, (other: LoggedIn) => Body]> => [
        [withArticle(property), (other) => ({ [property]: routes.ownerOf(other) })],
        [
          `${withArticle(property)} next to a valid change`,
          (other) => ({ ...(options.updates[0]?.[1] ?? {}), [property]: routes.ownerOf(other) }),
        ],
      ]),
      ['an unknown property', () => ({ pinned: true })],
      ...options.invalidUpdates.map(([name, change]): [string, () => Body] => [name, () => change]),
    ];
    it.each(invalidUpdates)('PATCH refuses %s with a 400 and changes nothing', async (_name, makeBody) => {
      const owner = await routes.newCaller();
      const other = await routes.newCaller();
      const item = await routes.newItem(owner, options.create('stays put'));
      const response = await routes.patch(owner, item.id, makeBody(other));
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
      await routes.expectUnchanged(owner, item);
      await routes.expectListed(other, []);
    });

    it('DELETE answers 204, then the item is gone: GET, PATCH and DELETE answer 404', async () => {
      const session = await routes.newCaller();
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

  describe(`${another} item, a missing item, a malformed id`, () => {
    it(`answers 404 to GET, PATCH and DELETE of ${another} item, which stays unchanged in the table`, async () => {
      const owner = await routes.newCaller();
      const intruder = await routes.newCaller();
      const secret = `private-${randomUUID()}`;
      const item = await routes.newItem(owner, options.create(secret));
      const row = await routes.rowOf(item.id);

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

      expect(await routes.rowOf(item.id)).toEqual(row);
      await routes.expectUnchanged(owner, item);
      await routes.expectListed(owner, [item]);
    });

    it(`answers the same 404 for ${another} item as for one that never existed`, async () => {
      const owner = await routes.newCaller();
      const intruder = await routes.newCaller();
      const item = await routes.newItem(owner);
      const foreign = await routes.get(intruder, item.id).expect(404);
      const missing = await routes.get(intruder, randomUUID()).expect(404);
      expect(foreign.body).toEqual(missing.body);
    });

    it('answers 404 to GET, PATCH and DELETE of a random well-formed uuid', async () => {
      const session = await routes.newCaller();
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
        const session = await routes.newCaller();
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
      const session = await routes.newCaller();
      const item = await routes.newItem(session);
      const path = `${routes.collectionOf(session)}/${item.id}`;
      for (const response of [
        await http().get(path),
        await http().patch(path).send(options.create('anonymous')),
        await http().delete(path),
      ]) {
        expect(response.status).toBe(401);
        expectNestError(response.body, 401);
      }
      await routes.expectUnchanged(session, item);
    });
  });

  describe(`the ${options.table} table`, () => {
    it('is exactly what its entity describes once the migrations have run', async () => {
      const pending = await routes.app.app.get(DataSource).driver.createSchemaBuilder().log();
      const queries = pending.upQueries.map((query) => query.query);
      expect(queries.filter((query) => query.includes(`"${options.table}"`))).toEqual([]);
    });

    it('has its entity in ormconfig.ts, so that migration:generate sees the table', () => {
      const metadata = routes.app.app
        .get(DataSource)
        .entityMetadatas.find((entity) => entity.tableName === options.table);
      expect(metadata).toBeDefined();
      expect(cliEntities.map((entity) => entity.name)).toContain(metadata!.name);
    });
  });
}
