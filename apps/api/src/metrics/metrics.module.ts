import { Module } from '@nestjs/common';
import { GatehouseMetrics } from './gatehouse-metrics';
import { MetricsController } from './metrics.controller';

/** `GET /api/metrics` and the counters behind it; the request hook is installed by the app factory. */
@Module({
  controllers: [MetricsController],
  providers: [GatehouseMetrics],
  exports: [GatehouseMetrics],
})
export class MetricsModule {}
