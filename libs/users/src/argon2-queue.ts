import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';

/** Told how long each computation waited for its turn, in seconds (0 when it started at once). */
export type QueueWaitListener = (seconds: number) => void;

/**
 * Bounds how many argon2 computations run at once. They run on libuv's thread pool, off the event loop;
 * limiting them to one fewer than the cores leaves a core to the event loop during a login storm.
 */
export class Argon2Queue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private onWaited?: QueueWaitListener;

  constructor(readonly concurrency = Math.max(1, availableParallelism() - 1)) {}

  /** Computations waiting for a free slot: how far behind a login storm has put the service. */
  get depth(): number {
    return this.waiting.length;
  }

  /** One listener (the app's metrics); a later call replaces it. */
  observeWaits(listener: QueueWaitListener | undefined): void {
    this.onWaited = listener;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      const queuedAt = performance.now();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      this.onWaited?.((performance.now() - queuedAt) / 1000);
    } else {
      this.running++;
      this.onWaited?.(0);
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
