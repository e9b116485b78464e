import { AuthModule } from '@gatehouse/auth';
import { MailModule } from '@gatehouse/mail';
import { UsersModule } from '@gatehouse/users';
import { Module } from '@nestjs/common';
import { GatehouseMetrics } from './gatehouse-metrics';
import { MetricsController } from './metrics.controller';

/** `GET /api/metrics` and the counters behind it; the request hook is installed by the app factory. */
@Module({
  imports: [AuthModule, MailModule, UsersModule],
  controllers: [MetricsController],
  providers: [GatehouseMetrics],
  exports: [GatehouseMetrics],
})
export class MetricsModule {}
