import { AppConfig } from '@gatehouse/config';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';

/**
 * Knows whether shutdown has begun. Its destroy hook runs before those of the modules below the app's features
 * (rate-limit storage, revocation sync, the outbox), so during SHUTDOWN_DELAY readiness already answers 503 while
 * every other route is served as usual; only then does the close go on to drain the listener.
 */
@Injectable()
export class ShutdownState implements OnModuleDestroy {
  private readonly log = new Logger(ShutdownState.name);
  private began = false;

  constructor(private readonly config: AppConfig) {}

  get shuttingDown(): boolean {
    return this.began;
  }

  async onModuleDestroy(): Promise<void> {
    this.began = true;
    const delay = this.config.http.shutdownDelay;
    if (delay === 0) return;
    this.log.log(`shutting down: not ready, serving ${delay} s more before the listener closes`);
    await new Promise((resolve) => setTimeout(resolve, delay * 1000));
  }
}
