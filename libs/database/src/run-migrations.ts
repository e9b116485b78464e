import { DataSource, MigrationExecutor } from 'typeorm';

// An arbitrary constant shared by every Gatehouse instance: whoever holds it migrates, the others wait.
const MIGRATION_LOCK_KEY = 724_190_331;

/**
 * Applies pending migrations, each in its own transaction, under a PostgreSQL advisory lock so that
 * instances starting together against one server never run the same migration twice.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'each';
      const applied = await executor.executePendingMigrations();
      return applied.map((migration) => migration.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
