import { Client } from 'pg';

/** Every statement a `pg` client of this process sends, counted by its text (whitespace collapsed on reading). */
export class QueryCounter {
  private counts = new Map<string, number>();

  record(text: string): void {
    this.counts.set(text, (this.counts.get(text) ?? 0) + 1);
  }

  reset(): void {
    this.counts = new Map();
  }

  read(): { total: number; statements: { text: string; count: number }[] } {
    const merged = new Map<string, number>();
    for (const [text, count] of this.counts) {
      const normal = normalizeSql(text);
      merged.set(normal, (merged.get(normal) ?? 0) + count);
    }
    const statements = [...merged].map(([text, count]) => ({ text, count }));
    statements.sort((a, b) => b.count - a.count);
    return { total: statements.reduce((sum, s) => sum + s.count, 0), statements };
  }
}

export function normalizeSql(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Wraps `pg.Client.prototype.query`, which every connection of TypeORM's pool and the LISTEN connection use, so
 * the server counts each statement it sends to PostgreSQL whoever sends it.
 */
export function installQueryCounter(): QueryCounter {
  const counter = new QueryCounter();
  const prototype = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  prototype.query = function (this: Client, ...args: unknown[]): unknown {
    const [first] = args;
    const text =
      typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '<unknown>');
    counter.record(text);
    return original.apply(this, args);
  };
  return counter;
}
