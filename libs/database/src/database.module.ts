import { AppConfig } from '@gatehouse/config';
import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ExpiringRecordsRegistry } from './expiring-records';
import { DataSource, DataSourceOptions } from 'typeorm';
import { ConnectionPoolStats } from './connection-pool-stats';
import { buildDataSourceOptions } from './data-source-options';
import { DatabaseNotifications } from './database-notifications';
import { DatabasePing } from './database-ping';
import { PreparedStatements } from './prepared-statements';
import { runMigrations } from './run-migrations';

/** The database connection for the whole app; feature modules register their entities with `forFeature`. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...buildDataSourceOptions(config),
        migrationsRun: config.database.migrationsRun,
        autoLoadEntities: true,
        retryAttempts: 2,
        retryDelay: 1000,
      }),
      // Migrations run here, before the data source is handed to any provider, under a lock of our own.
      dataSourceFactory: async (options?: DataSourceOptions) => {
        const dataSource = await new DataSource({ ...options!, migrationsRun: false }).initialize();
        if (options!.migrationsRun) await runMigrations(dataSource);
        return dataSource;
      },
    }),
  ],
  providers: [
    DatabasePing,
    DatabaseNotifications,
    PreparedStatements,
    ConnectionPoolStats,
    ExpiringRecordsRegistry,
  ],
  exports: [
    DatabasePing,
    DatabaseNotifications,
    PreparedStatements,
    ConnectionPoolStats,
    ExpiringRecordsRegistry,
  ],
})
export class DatabaseModule {}
