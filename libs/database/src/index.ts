export { buildDataSourceOptions, describeDatabase, embeddedDatabaseDir } from './data-source-options';
export { DatabaseModule } from './database.module';
export { DatabasePing } from './database-ping';
export { runMigrations } from './run-migrations';
