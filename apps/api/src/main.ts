import { AppConfig, loadConfig } from '@gatehouse/config';
import cluster from 'node:cluster';
import { primaryLog } from './workers/primary-log';
import { exitAfterStartFailure } from './workers/start-failure';
import { WorkerPool } from './workers/worker-pool';

/** The app on its port: the whole server with WORKERS=1, one worker of the cluster otherwise. */
async function serve(config: AppConfig): Promise<void> {
  // Loaded here rather than above: a cluster primary never builds the app, so it need not carry its modules.
  // Relative paths only: `nest build` rewrites the @gatehouse/* aliases of static imports, not of import().
  const [{ createApp, describeDatabase }, { exitIfShutdownOverruns }, { Logger }] = await Promise.all([
    import('./app.factory'),
    import('./common/graceful-shutdown'),
    import('nestjs-pino'),
  ]);
  const app = await createApp(config);
  exitIfShutdownOverruns(config.http.shutdownGrace + config.http.shutdownDelay, (message) =>
    app.get(Logger).error(message, 'Main'),
  );
  await app.listen({ port: config.http.port, host: config.http.host });
  const url = await app.getUrl();
  const role = !cluster.isWorker
    ? ''
    : `, one of ${config.workers} workers${config.cleanup.enabled ? ', the one that runs the periodic clean-up' : ''}`;
  app.get(Logger).log(`Gatehouse listening on ${url} with ${describeDatabase(config)}${role}`, 'Main');
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.workers > 1 && cluster.isPrimary) {
    const code = await new WorkerPool(config, primaryLog(config)).run();
    process.exit(code);
  }
  await serve(config);
}

main().catch(exitAfterStartFailure);
