import { availableParallelism } from 'node:os';

/**
 * Bounds how many argon2 computations run at once. They run on libuv's thread pool, off the event loop;
 * limiting them to one fewer than the cores leaves a core to the event loop during a login storm.
 */
export class Argon2Queue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly concurrency = Math.max(1, availableParallelism() - 1)) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
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
