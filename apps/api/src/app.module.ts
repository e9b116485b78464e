import { AuthModule, InputValidationPipe } from '@gatehouse/auth';
import { AppConfig, ConfigModule } from '@gatehouse/config';
import { DatabaseModule } from '@gatehouse/database';
import { MailModule } from '@gatehouse/mail';
import { UsersModule } from '@gatehouse/users';
import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import { DestinationStream, Logger } from 'pino';
import { HttpErrorFilter } from './common/http-error.filter';
import { appLogger, nestLogger } from './common/logging';
import { AdminModule } from './admin/admin.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { NotesModule } from './notes/notes.module';
import { OrgsRoutesModule } from './orgs/orgs.module';
import { ProjectsModule } from './projects/projects.module';
import { MeModule } from './users/me.module';

export interface AppModuleOptions {
  /** Where log lines go; stdout when unset. */
  logDestination?: DestinationStream;
  /** The logger itself, when the caller made it (`createApp` writes request lines with the same one). */
  logger?: Logger;
  /** Modules imported after Gatehouse's own, behind the same global guards (e.g. the benchmarks' routes). */
  extraModules?: NonNullable<ModuleMetadata['imports']>;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        MailModule,
        UsersModule,
        AuthModule,
        HealthModule,
        MetricsModule,
        MeModule,
        NotesModule,
        OrgsRoutesModule,
        ProjectsModule,
        AdminModule,
        ...(options.extraModules ?? []),
      ],
      providers: [
        { provide: APP_PIPE, useValue: new InputValidationPipe() },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        {
          provide: NestPinoLogger,
          useValue: nestLogger(options.logger ?? appLogger(config, options.logDestination)),
        },
      ],
    };
  }
}
