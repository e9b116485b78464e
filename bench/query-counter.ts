import { AsyncLocalStorage } from 'node:async_hooks';
import { Server } from 'node:http';
import { Client } from 'pg';

/** How often one statement text was sent, and how often from code an HTTP request set off. */
export interface StatementCount {
  text: string;
  count: number;
  inRequests: number;
}

/**
 * Set for everything an HTTP request sets off (its handler and every promise and callback that follows from it),
 * and for nothing else: what timers send (the revocation re-read, the mail outbox, the LISTEN probe, the purge)
 * is counted apart without a list of their statements to keep up to date.
 */
const inRequest = new AsyncLocalStorage<true>();

/** Marks each request of `server` before its framework sees it (the first `request` listener). */
export function markRequests(server: Server): void {
  server.prependListener('request', () => inRequest.enterWith(true));
}

/** Every statement a `pg` client of this process sends, counted by its text (whitespace collapsed on reading). */
export class QueryCounter {
  private counts = new Map<string, { count: number; inRequests: number }>();

  record(text: string): void {
    const entry = this.counts.get(text) ?? { count: 0, inRequests: 0 };
    entry.count++;
    if (inRequest.getStore()) entry.inRequests++;
    this.counts.set(text, entry);
  }

  reset(): void {
    this.counts = new Map();
  }

  read(): { total: number; statements: StatementCount[] } {
    const merged = new Map<string, StatementCount>();
    for (const [text, { count, inRequests }] of this.counts) {
      const normal = normalizeSql(text);
      const entry = merged.get(normal) ?? { text: normal, count: 0, inRequests: 0 };
      entry.count += count;
      entry.inRequests += inRequests;
      merged.set(normal, entry);
    }
    const statements = [...merged.values()].sort((a, b) => b.count - a.count);
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
