import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';

/** Pauses between tries of work accepted while the database was away: about 30 s in all. */
const RETRY_PAUSES_MS = [500, 1000, 2000, 4000, 8000, 15000];

/**
 * Work done after the answer has gone (a reset link, a sign-in code): a route that must answer a known and an
 * unknown address alike, in the same time, answers first and leaves the work here. Work that fails while the
 * database is away is tried again, with growing pauses, for about half a minute; a failure is logged by its kind
 * and what was asked, never with an address. Shutdown waits for what is in flight.
 */
@Injectable()
export class AfterAnswer implements BeforeApplicationShutdown {
  private readonly log = new Logger(AfterAnswer.name);
  private readonly inFlight = new Set<Promise<void>>();
  private shuttingDown = false;

  /** Starts `task` and returns at once; `what` names it in the log line of a failure. */
  run(what: string, task: () => Promise<void>): void {
    const work = this.withRetries(what, task).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    await Promise.all([...this.inFlight]);
  }

  private async withRetries(what: string, task: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await task();
      } catch (error) {
        const kind = (error as { name?: unknown } | null)?.name;
        if (attempt >= RETRY_PAUSES_MS.length || this.shuttingDown) {
          this.log.error(
            { error: typeof kind === 'string' ? kind : typeof error, attempts: attempt + 1 },
            `${what} could not be handled`,
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSES_MS[attempt]));
      }
    }
  }
}
