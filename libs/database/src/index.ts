export { buildDataSourceOptions, describeDatabase, embeddedDatabaseDir } from './data-source-options';
export { DatabaseNotifications } from './database-notifications';
export { DatabaseModule } from './database.module';
export { DatabasePing } from './database-ping';
export { runMigrations } from './run-migrations';
export { PreparedStatements } from './prepared-statements';
export type { NamedStatement } from './prepared-statements';
export { ConnectionPoolStats } from './connection-pool-stats';
export type { PoolCounts } from './connection-pool-stats';
