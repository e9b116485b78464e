import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { installQueryCounter, normalizeSql, QueryCounter } from '../../bench/query-counter';
import { TestApp } from './test-app';

/** One statement text (whitespace collapsed), and how often it was sent. */
export interface SentStatement {
  text: string;
  count: number;
}

/** Counts the statements set off by the HTTP requests an app receives while watched. */
export interface StatementWatch {
  /** Runs `requests`, and answers each statement the requests it sent set off, in the order first sent. */
  during(requests: () => Promise<unknown>): Promise<SentStatement[]>;
  /** Stops counting this app's statements. */
  stop(): void;
}

type Release = (error?: Error) => void;
type Connect = (callback: (error: Error | null, client?: unknown, release?: Release) => void) => void;
interface Queryable {
  query: (...args: unknown[]) => unknown;
}

/**
 * Set for everything a watched request sets off, its handler and every promise and timer that follows from it, as
 * the bench's `markRequests` marks every request. Only the requests received within `during` are marked: work an
 * earlier request set off (a sign-up's mail going out through the outbox, say) is not theirs.
 */
const watchedRequest = new AsyncLocalStorage<boolean>();
/** The bench's counter of every `pg` client's statements, installed once in this file's module registry. */
let pgStatements: QueryCounter | undefined;

const textOf = (query: unknown) =>
  typeof query === 'string' ? query : ((query as { text?: string } | undefined)?.text ?? '<unknown>');

/**
 * Counts the statements `app` sends as the bench counts them, at the database client: on a PostgreSQL server
 * every `pg` client's (the bench's counter, on the pool and the LISTEN connection alike); on PGlite, which has no
 * `pg` client, every statement of every connection TypeORM's pool lends, whatever sent it (a repository, a query
 * builder, `DataSource.query`).
 */
export function watchStatements(app: TestApp): StatementWatch {
  let watching = false;
  let counted = new Map<string, number>();
  const onStatement = (text: string) => {
    if (!watchedRequest.getStore()) return;
    const normal = normalizeSql(text);
    counted.set(normal, (counted.get(normal) ?? 0) + 1);
  };
  app.app.getHttpServer().prependListener('request', () => watchedRequest.enterWith(watching));

  let unhook: () => void;
  if (app.kind === 'postgres') {
    pgStatements ??= installQueryCounter();
    const counter = pgStatements;
    const record = counter.record;
    counter.record = (text: string) => {
      onStatement(text);
      record.call(counter, text);
    };
    unhook = () => void (counter.record = record);
  } else {
    const pool = (app.app.get(DataSource).driver as PostgresDriver).master as { connect: Connect };
    const connect = pool.connect;
    pool.connect = function (this: unknown, callback) {
      connect.call(this, (error, client, release) => {
        if (client) {
          const connection = client as Queryable;
          const query = connection.query;
          connection.query = function (this: unknown, ...args: unknown[]) {
            onStatement(textOf(args[0]));
            return query.apply(this, args);
          };
        }
        callback(error, client, release);
      });
    };
    unhook = () => void (pool.connect = connect);
  }

  return {
    during: async (requests) => {
      counted = new Map();
      watching = true;
      try {
        await requests();
      } finally {
        watching = false;
      }
      return [...counted].map(([text, count]) => ({ text, count }));
    },
    stop: () => {
      watching = false;
      unhook();
    },
  };
}

/** The tables a statement names after FROM, JOIN, INTO or UPDATE. */
export function tablesOf(sql: string): string[] {
  return [
    ...new Set([...sql.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE)\s+"?([A-Za-z_]\w*)"?/gi)].map((m) => m[1])),
  ];
}
