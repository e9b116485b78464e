import { AppConfig } from '@gatehouse/config';
import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { migrations } from './migrations';
import { createPgliteDriver } from './pglite-driver';

type EntityList = NonNullable<DataSourceOptions['entities']>;

/** Where the embedded database keeps its files under DATA_DIR. */
export function embeddedDatabaseDir(config: AppConfig): string {
  return join(config.database.dataDir, 'pgdata');
}

/** Says which database the options point at, for the start-up log line (never the password). */
export function describeDatabase(config: AppConfig): string {
  if (!config.database.url) return `embedded PostgreSQL (PGlite) at ${embeddedDatabaseDir(config)}`;
  const url = new URL(config.database.url);
  return `PostgreSQL server ${url.hostname}:${url.port || 5432}${url.pathname}`;
}

/**
 * The one place that builds TypeORM's options, for the app and for the TypeORM CLI (`ormconfig.ts`).
 * `DATABASE_URL` selects a PostgreSQL server through `pg`; without it, the embedded PGlite under DATA_DIR.
 * The schema changes only through migrations: `synchronize` stays off.
 */
export function buildDataSourceOptions(config: AppConfig, entities: EntityList = []): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    // gen_random_uuid() is built into PostgreSQL 13+; no extension needs installing on either database.
    uuidExtension: 'pgcrypto' as const,
    installExtensions: false,
    logging: false,
  };
  if (config.database.url) {
    return { ...common, url: config.database.url, poolSize: 20, connectTimeoutMS: 5000 };
  }
  return { ...common, driver: createPgliteDriver(embeddedDatabaseDir(config)), poolSize: 1 };
}
