import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
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
