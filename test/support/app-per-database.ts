import { DatabaseKind } from './databases';
import { Env, TestApp, TestAppOptions } from './test-app';

/**
 * One app per database for the parts of a suite that each need settings of their own, but not a database of their
 * own: the first part starts the app, each later part restarts it on the same data with only its own settings
 * (a restart reopens the database; a start also creates and migrates it). For parts whose tests make their own
 * users and read no state another part could have left, so sharing the data cannot change what they prove.
 */
export class AppPerDatabase {
  private readonly apps = new Map<DatabaseKind, TestApp>();

  /** The app of `kind`, (re)started with exactly `env` beside the test defaults. */
  async with(kind: DatabaseKind, env: Env, options: Omit<TestAppOptions, 'env'> = {}): Promise<TestApp> {
    const running = this.apps.get(kind);
    if (!running) {
      const started = await TestApp.start(kind, { ...options, env });
      this.apps.set(kind, started);
      return started;
    }
    if (options.throughProxy && kind === 'postgres' && !running.proxy)
      throw new Error('a relay is set up at the first start only: ask for it there');
    await running.restartWith(env);
    return running;
  }

  async stop(): Promise<void> {
    for (const app of this.apps.values()) await app.stop();
    this.apps.clear();
  }
}
