import { PGlite } from '@electric-sql/pglite';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, QueryFailedError } from 'typeorm';
import { createPgliteDriver } from './pglite-driver';

// These tests run TypeORM on a real embedded PostgreSQL: they prove the driver isolates transactions.
describe('PGlite driver under concurrent transactions', () => {
  let dir: string;
  let db: DataSource;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-pglite-'));
    db = await new DataSource({
      type: 'postgres',
      driver: createPgliteDriver(dir),
      poolSize: 1,
    }).initialize();
    await db.query('CREATE TABLE counters (id int PRIMARY KEY, value int NOT NULL)');
    await db.query(
      'CREATE TABLE live (family int NOT NULL, token int NOT NULL, rotated boolean NOT NULL DEFAULT false)',
    );
    await db.query('CREATE UNIQUE INDEX one_live ON live (family) WHERE NOT rotated');
  }, 60_000);

  afterAll(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never shows one transaction another one’s uncommitted write', async () => {
    await db.query('INSERT INTO counters VALUES (1, 0)');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const writer = db.transaction(async (tx) => {
      await tx.query('UPDATE counters SET value = 99 WHERE id = 1');
      await held;
      throw new Error('roll back');
    });
    // The reader queues behind the writer's transaction rather than reading its dirty row.
    const reader = db.query<{ value: number }[]>('SELECT value FROM counters WHERE id = 1');
    release();
    await expect(writer).rejects.toThrow('roll back');
    expect((await reader)[0].value).toBe(0);
  });

  it('keeps one transaction’s ROLLBACK from undoing another’s committed work', async () => {
    await db.query('INSERT INTO counters VALUES (2, 0)');
    const work = Array.from({ length: 40 }, (_, i) =>
      db.transaction(async (tx) => {
        await tx.query('UPDATE counters SET value = value + 1 WHERE id = 2');
        if (i % 2 === 1) throw new Error('odd ones roll back');
      }),
    );
    const results = await Promise.allSettled(work);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(20);
    const [{ value }] = await db.query<{ value: number }[]>('SELECT value FROM counters WHERE id = 2');
    expect(value).toBe(20);
  });

  it('lets exactly one of many concurrent conditional updates win, with no unique-index violation', async () => {
    await db.query('INSERT INTO live (family, token) VALUES (7, 0)');
    const attempts = Array.from({ length: 41 }, (_, i) =>
      db.transaction(async (tx) => {
        const [, changed] = await tx.query<[unknown, number]>(
          'UPDATE live SET rotated = true WHERE family = 7 AND token = 0 AND NOT rotated',
        );
        if (changed !== 1) return false;
        await tx.query('INSERT INTO live (family, token) VALUES (7, $1)', [i + 1]);
        return true;
      }),
    );
    const winners = (await Promise.all(attempts)).filter(Boolean);
    expect(winners).toHaveLength(1);
    const live = await db.query('SELECT token FROM live WHERE family = 7 AND NOT rotated');
    expect(live).toHaveLength(1);
  });

  it('rolls back a transaction left open by a released query runner', async () => {
    await db.query('INSERT INTO counters VALUES (3, 0)');
    const runner = db.createQueryRunner();
    await runner.startTransaction();
    await runner.query('UPDATE counters SET value = 5 WHERE id = 3');
    await runner.release();
    const [{ value }] = await db.query<{ value: number }[]>('SELECT value FROM counters WHERE id = 3');
    expect(value).toBe(0);
  });

  it('keeps the event loop turning while a statement runs in the database thread', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      await db.query('SELECT pg_sleep(0.3)');
    } finally {
      clearInterval(timer);
    }
    // PGlite in the main thread holds the loop for the whole statement: no tick at all.
    expect(ticks).toBeGreaterThan(5);
  });

  it('refuses to open a data directory a pool already has open, with a clear error', async () => {
    const second = new DataSource({ type: 'postgres', driver: createPgliteDriver(dir), poolSize: 1 });
    await expect(second.initialize()).rejects.toThrow(/could not be opened: .* is already open/);
  });

  it('keeps committed data when closed and reopened', async () => {
    await db.query('INSERT INTO counters VALUES (4, 42)');
    await db.destroy();
    db = await new DataSource({
      type: 'postgres',
      driver: createPgliteDriver(dir),
      poolSize: 1,
    }).initialize();
    const [{ value }] = await db.query<{ value: number }[]>('SELECT value FROM counters WHERE id = 4');
    expect(value).toBe(42);
  }, 60_000);
});

/** A data source on the embedded database in a fresh directory, and the way to remove both. */
async function openFresh(): Promise<{ db: DataSource; dir: string; remove: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pglite-'));
  const db = await new DataSource({
    type: 'postgres',
    driver: createPgliteDriver(dir),
    poolSize: 1,
  }).initialize();
  return {
    db,
    dir,
    remove: async () => {
      if (db.isInitialized) await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The old driver ran PGlite in the main thread; what callers read must not change with the thread hop.
describe('PGlite driver: values and errors cross the thread unchanged', () => {
  let fresh: Awaited<ReturnType<typeof openFresh>>;
  let db: DataSource;
  let local: PGlite;
  const schema = `
    CREATE TABLE kinds (
      id int PRIMARY KEY, at timestamptz, raw bytea, doc jsonb, plain json, small bigint, big bigint,
      steps bigint[], tags text[], uid uuid, flag boolean, amount numeric, label varchar(20) UNIQUE
    )`;
  const seed = `
    INSERT INTO kinds VALUES
      (1, '2024-02-29 12:34:56.789+00', '\\x00ff10', '{"a": [1, "x", null], "b": {"c": true}}', '{"n": 1.5}',
       42, 9007199254740993, '{1,2}', '{a,b}', '6f1c1c0e-4c1e-4c6c-9a3c-2d1f0a0b0c0d', true, 12.50, 'one'),
      (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`;
  const insert =
    'INSERT INTO kinds (id, at, raw, doc, small, big, steps, tags, flag, label) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)';
  const params = () => [
    3,
    new Date('2025-01-02T03:04:05.678Z'),
    Buffer.from([0, 1, 254, 255]),
    JSON.stringify({ nested: { list: [1, 2] } }),
    '7',
    '9007199254740995',
    ['5', '6'],
    ['x', 'y'],
    false,
    'three',
  ];

  beforeAll(async () => {
    fresh = await openFresh();
    db = fresh.db;
    local = new PGlite();
    for (const target of [(sql: string) => db.query(sql), (sql: string) => local.exec(sql)]) {
      await target(schema);
      await target(seed);
    }
    await db.query(insert, params());
    await local.query(insert, params());
  }, 60_000);

  afterAll(async () => {
    await fresh.remove();
    await local.close();
  });

  it('returns rows identical to PGlite in the same thread, types included', async () => {
    const sql = 'SELECT * FROM kinds ORDER BY id';
    const viaThread = await db.query<Record<string, unknown>[]>(sql);
    const inThread = (await local.query<Record<string, unknown>>(sql)).rows;
    expect(viaThread).toStrictEqual(inThread);
    const [first, , third] = viaThread;
    expect(first.at).toBeInstanceOf(Date);
    expect((first.at as Date).toISOString()).toBe('2024-02-29T12:34:56.789Z');
    expect(first.raw).toBeInstanceOf(Uint8Array);
    expect(Array.from(first.raw as Uint8Array)).toEqual([0, 255, 16]);
    expect(first.doc).toEqual({ a: [1, 'x', null], b: { c: true } });
    expect(first.small).toBe(42);
    expect(first.big).toBe(9007199254740993n);
    expect(first.steps).toEqual([1, 2]);
    expect(third.at).toEqual(new Date('2025-01-02T03:04:05.678Z'));
    expect(Array.from(third.raw as Uint8Array)).toEqual([0, 1, 254, 255]);
    expect(third.doc).toEqual({ nested: { list: [1, 2] } });
    expect(third.big).toBe(9007199254740995n);
  });

  it('answers a write with its command and row count', async () => {
    const runner = db.createQueryRunner();
    try {
      const result = await runner.query("UPDATE kinds SET label = label || '!' WHERE id < 3", [], true);
      expect(result.affected).toBe(2);
      expect(result.records).toEqual([]);
    } finally {
      await runner.release();
    }
  });

  it('rebuilds a failed statement’s error with every field PostgreSQL gave it', async () => {
    const failing = "INSERT INTO kinds (id, label) VALUES (9, 'three')";
    const thrown = await db.query(failing).catch((error: unknown) => error);
    const original = await local.query(failing).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(QueryFailedError);
    const driverError = (thrown as QueryFailedError).driverError as Error & Record<string, unknown>;
    expect(driverError).toBeInstanceOf(Error);
    expect(driverError.code).toBe('23505');
    expect(driverError.constraint).toBe('kinds_label_key');
    expect(driverError.table).toBe('kinds');
    expect(driverError.detail).toBe('Key (label)=(three) already exists.');
    expect(String(driverError)).toBe(String(original));
    const fields = original as Error & Record<string, unknown>;
    expect(Object.keys(driverError).sort()).toEqual(Object.keys(fields).sort());
    for (const key of Object.keys(fields)) expect([key, driverError[key]]).toEqual([key, fields[key]]);
    expect(driverError.message).toBe(fields.message);
  });

  it('rolls back the whole transaction when one of its statements fails', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query("UPDATE kinds SET label = 'changed' WHERE id = 1");
        await tx.query("INSERT INTO kinds (id, label) VALUES (10, 'three')");
      }),
    ).rejects.toMatchObject({ driverError: { code: '23505' } });
    const [{ label }] = await db.query<{ label: string }[]>('SELECT label FROM kinds WHERE id = 1');
    expect(label).not.toBe('changed');
  });
});

describe('PGlite driver: a database thread that stops or cannot start', () => {
  it('fails the statement waiting and every later one, rather than leaving them hanging', async () => {
    const fresh = await openFresh();
    try {
      const waiting = fresh.db.query('SELECT pg_sleep(1)');
      const pool = (
        fresh.db.driver as unknown as { master: { thread: { worker: { terminate(): Promise<number> } } } }
      ).master;
      await pool.thread.worker.terminate();
      await expect(waiting).rejects.toThrow('The embedded database is closed');
      await expect(fresh.db.query('SELECT 1')).rejects.toThrow('The embedded database is closed');
    } finally {
      await fresh.remove();
    }
  }, 60_000);

  it('reports a data directory PGlite cannot open as a start-up error', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'gatehouse-pglite-'));
    const dir = join(parent, 'pgdata');
    mkdirSync(dir);
    writeFileSync(join(dir, 'PG_VERSION'), '9\n');
    try {
      const db = new DataSource({ type: 'postgres', driver: createPgliteDriver(dir), poolSize: 1 });
      await expect(db.initialize()).rejects.toThrow(`The embedded database at ${dir} could not be opened`);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  }, 60_000);
});
