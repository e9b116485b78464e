import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ApiKeyVerdicts, VERDICT_TTL_MS } from './api-key-verdicts';

/** A database whose answers the test releases one by one, counting what it was asked. */
function heldDatabase() {
  const held: ((rows: unknown[]) => void)[] = [];
  let reads = 0;
  const dataSource = {
    query: () => {
      reads++;
      return new Promise((resolve) => held.push(resolve));
    },
  } as unknown as DataSource;
  return { dataSource, held, reads: () => reads };
}

const row = (userId = randomUUID(), id = randomUUID()) => ({
  id,
  user_id: userId,
  scopes: ['notes:read'],
  expires_at: null,
  last_used_at: null,
  disabled: false,
});
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ApiKeyVerdicts', () => {
  const key = 'gat_test';

  it('shares one read between concurrent first uses, and keeps its verdict for a minute', async () => {
    const db = heldDatabase();
    const verdicts = new ApiKeyVerdicts(db.dataSource);
    const both = Promise.all([verdicts.read(key), verdicts.read(key)]);
    await tick();
    expect(db.reads()).toBe(1);
    const answer = row();
    db.held[0]([answer]);
    const [first, second] = await both;
    expect(first).toBe(second);
    expect(first.caller).toMatchObject({
      id: answer.user_id,
      sessionId: answer.id,
      credential: { kind: 'apiKey' },
    });
    expect(verdicts.cached(key)).toBe(first);
    expect(verdicts.cached(key, Date.now() + VERDICT_TTL_MS + 1)).toBeUndefined();
  });

  it('drops the verdicts of a forgotten key or user, and keeps others', async () => {
    const db = heldDatabase();
    const verdicts = new ApiKeyVerdicts(db.dataSource);
    const other = 'gat_other';
    const mine = row();
    const reads = [verdicts.read(key), verdicts.read(other)];
    await tick();
    db.held[0]([mine]);
    db.held[1]([row()]);
    await Promise.all(reads);
    verdicts.forget([mine.user_id]);
    expect(verdicts.cached(key)).toBeUndefined();
    expect(verdicts.cached(other)).toBeDefined();
    verdicts.clear();
    expect(verdicts.cached(other)).toBeUndefined();
  });

  it('does not keep a verdict read while a drop arrived: it may predate the change', async () => {
    const db = heldDatabase();
    const verdicts = new ApiKeyVerdicts(db.dataSource);
    const answer = row();
    const stale = verdicts.read(key);
    await tick();
    verdicts.forget([answer.id]);
    // A use after the drop reads again, whatever the read under way says.
    const fresh = verdicts.read(key);
    await tick();
    expect(db.reads()).toBe(2);
    db.held[0]([answer]);
    await stale;
    expect(verdicts.cached(key)).toBeUndefined();
    db.held[1]([]);
    expect((await fresh).refused).toBe('unknown');
    expect(verdicts.cached(key)?.refused).toBe('unknown');
  });

  it('refuses the keys of a disabled user, naming why', async () => {
    const db = heldDatabase();
    const verdicts = new ApiKeyVerdicts(db.dataSource);
    const read = verdicts.read(key);
    await tick();
    db.held[0]([{ ...row(), disabled: true }]);
    const verdict = await read;
    expect(verdict.caller).toBeUndefined();
    expect(verdict.refused).toBe('user_disabled');
  });
});
