import { DatabaseNotifications } from '@gatehouse/database';
import { Logger } from '@nestjs/common';
import { DeliveryRecord, DeliveryStore } from './delivery-store';
import { DeliveryAttempt, DeliveryOutcome, DurableSender } from './durable-sender';

type Row = DeliveryRecord & { body: string };
type Stored = Row & { dueAt: number; state: 'waiting' | 'delivered' | 'given up'; error?: string };

/** The statements' effects, in memory: enough to watch the sender's decisions. */
class MemoryStore {
  readonly rows: Stored[] = [];
  stale: DeliveryRecord[] = [];
  released: string[] = [];

  add(id: string): void {
    this.rows.push({ id, label: 'test', attempts: 0, body: `body of ${id}`, dueAt: 0, state: 'waiting' });
  }

  claim(limit: number): Promise<Row[]> {
    const due = this.rows.filter((row) => row.state === 'waiting' && row.dueAt <= Date.now()).slice(0, limit);
    for (const row of due) {
      row.attempts += 1;
      row.dueAt = Date.now() + 60_000;
    }
    return Promise.resolve(due.map(({ id, label, attempts, body }) => ({ id, label, attempts, body })));
  }

  markDelivered(id: string): Promise<void> {
    this.row(id).state = 'delivered';
    return Promise.resolve();
  }

  markFailed(id: string, retryInSeconds: number, error: string): Promise<void> {
    Object.assign(this.row(id), { dueAt: Date.now() + retryInSeconds * 1000, error });
    return Promise.resolve();
  }

  giveUp(id: string, error: string): Promise<void> {
    Object.assign(this.row(id), { state: 'given up', error });
    return Promise.resolve();
  }

  giveUpStale(): Promise<DeliveryRecord[]> {
    const stale = this.stale;
    this.stale = [];
    return Promise.resolve(stale);
  }

  release(ids: readonly string[]): Promise<void> {
    for (const id of ids) Object.assign(this.row(id), { dueAt: 0, attempts: this.row(id).attempts - 1 });
    this.released.push(...ids);
    return Promise.resolve();
  }

  row(id: string): Stored {
    return this.rows.find((row) => row.id === id)!;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(probe: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

describe('DurableSender', () => {
  let store: MemoryStore;
  let sender: DurableSender<Row> | undefined;
  let outcomes: DeliveryOutcome[];
  let lines: string[];

  const start = async (
    deliver: (row: Row) => Promise<DeliveryAttempt>,
    concurrency?: number,
  ): Promise<DurableSender<Row>> => {
    const log = new Logger('test');
    jest.spyOn(log, 'log').mockImplementation((line: string) => void lines.push(line));
    jest.spyOn(log, 'warn').mockImplementation((line: string) => void lines.push(line));
    sender = new DurableSender<Row>({
      noun: 'thing',
      store: store as unknown as DeliveryStore<Row>,
      deliver,
      channel: 'test_channel',
      notifications: { listen: () => Promise.resolve() } as unknown as DatabaseNotifications,
      log,
      retryFirst: 1,
      pollInterval: 60,
      staleReason: 'too old',
      concurrency,
      measure: (outcome, count) => {
        for (let i = 0; i < count; i++) outcomes.push(outcome);
      },
    });
    await sender.start();
    return sender;
  };

  beforeEach(() => {
    store = new MemoryStore();
    outcomes = [];
    lines = [];
  });
  afterEach(async () => {
    await sender?.stop();
    sender = undefined;
  });

  it('delivers what is due at start and what is queued later, once each', async () => {
    store.add('a');
    const delivered: string[] = [];
    const running = await start((row) => {
      delivered.push(row.body);
      return Promise.resolve({ outcome: 'delivered', note: 'accepted' });
    });
    await until(() => store.row('a').state === 'delivered');
    store.add('b');
    running.queued();
    await until(() => store.row('b').state === 'delivered');
    expect(delivered).toEqual(['body of a', 'body of b']);
    expect(outcomes).toEqual(['sent', 'sent']);
    expect(lines).toEqual(['thing a (test) accepted', 'thing b (test) accepted']);
  });

  it('retries a failed attempt after DELIVERY_RETRY_FIRST, then delivers it', async () => {
    store.add('a');
    let calls = 0;
    const started = Date.now();
    await start(() =>
      Promise.resolve(
        ++calls === 1 ? { outcome: 'failed', error: 'HTTP 503' } : { outcome: 'delivered', note: 'accepted' },
      ),
    );
    await until(() => store.row('a').state === 'delivered');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(store.row('a').attempts).toBe(2);
    expect(outcomes).toEqual(['retry', 'sent']);
    expect(lines[0]).toBe('thing a (test) attempt 1 failed (HTTP 503); next in 1 s');
  });

  it('counts a throw as a failed attempt', async () => {
    store.add('a');
    await start(() => Promise.reject(new Error('socket\nhang up')));
    await until(() => store.row('a').error !== undefined);
    expect(store.row('a')).toMatchObject({ state: 'waiting', error: 'socket hang up' });
    expect(outcomes).toEqual(['retry']);
  });

  it('gives up at once what the far end refuses for good', async () => {
    store.add('a');
    await start(() => Promise.resolve({ outcome: 'refused', error: 'HTTP 410', why: 'gone' }));
    await until(() => store.row('a').state === 'given up');
    expect(store.row('a').error).toBe('HTTP 410');
    expect(outcomes).toEqual(['rejected']);
    expect(lines).toEqual(['thing a (test) given up: gone (HTTP 410)']);
  });

  it('gives up what is too old, and says why', async () => {
    store.stale = [{ id: 'old', label: 'test', attempts: 7 }];
    await start(() => Promise.resolve({ outcome: 'delivered', note: 'accepted' }));
    await until(() => outcomes.length === 1);
    expect(outcomes).toEqual(['expired']);
    expect(lines).toEqual(['thing old (test) given up after 7 attempt(s): too old']);
  });

  it('has at most `concurrency` deliveries on the wire at once', async () => {
    for (let i = 0; i < 10; i++) store.add(`r${i}`);
    let onWire = 0;
    let most = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await start(async () => {
      most = Math.max(most, ++onWire);
      await released;
      onWire -= 1;
      return { outcome: 'delivered', note: 'accepted' };
    }, 3);
    // Three held on the wire; a fourth would have started by now if the sender allowed it.
    await until(() => onWire === 3);
    await sleep(100);
    expect(onWire).toBe(3);
    release();
    await until(() => store.rows.every((row) => row.state === 'delivered'));
    expect(most).toBe(3);
    expect(store.rows.every((row) => row.attempts === 1)).toBe(true);
  });

  it('on stop, lets the delivery on the wire finish and claims nothing more', async () => {
    store.add('a');
    store.add('b');
    let finish!: () => void;
    const onWire = new Promise<void>((resolve) => (finish = resolve));
    const running = await start(async () => {
      await onWire;
      return { outcome: 'delivered', note: 'accepted' };
    });
    await until(() => store.row('a').attempts === 1);
    const stopped = running.stop();
    finish();
    await stopped;
    expect(store.row('a').state).toBe('delivered');
    expect(store.row('b')).toMatchObject({ state: 'waiting', attempts: 0 });
  });
});
