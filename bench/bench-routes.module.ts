import { NoRateLimit, Public } from '@gatehouse/auth';
import { Controller, Get, Module } from '@nestjs/common';

/**
 * Two identical tiny routes, one opted out of the global bearer guard: their throughput ratio is the guard's
 * cost. Added by the benchmark server only (never by `main.ts`), through `createApp`'s `extraModules`.
 */
@Controller('bench')
export class BenchRoutesController {
  @Public()
  // The baseline measures the framework alone: no guard of ours, the rate limiter included.
  @NoRateLimit()
  @Get('public')
  public(): { ok: boolean } {
    return { ok: true };
  }

  @Get('guarded')
  guarded(): { ok: boolean } {
    return { ok: true };
  }
}

@Module({ controllers: [BenchRoutesController] })
export class BenchRoutesModule {}
