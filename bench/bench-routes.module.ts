import { defineScopes, NoRateLimit, Public, RequiresScope } from '@gatehouse/auth';
import { Controller, Get, Module } from '@nestjs/common';

/**
 * Two identical tiny routes, one opted out of the global bearer guard: their throughput ratio is the guard's
 * cost. Added by the benchmark server only (never by `main.ts`), through `createApp`'s `extraModules`.
 */
// Lets the bench call the guarded route with an API key as well as with an access token.
defineScopes({ 'bench:read': 'Call the benchmark routes' });

@Controller('bench')
export class BenchRoutesController {
  @Public()
  // The baseline measures the framework alone: no guard of ours, the rate limiter included.
  @NoRateLimit()
  @Get('public')
  public(): { ok: boolean } {
    return { ok: true };
  }

  @RequiresScope('bench:read')
  @Get('guarded')
  guarded(): { ok: boolean } {
    return { ok: true };
  }
}

@Module({ controllers: [BenchRoutesController] })
export class BenchRoutesModule {}
