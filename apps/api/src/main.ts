import { ConfigError, loadConfig } from '@gatehouse/config';
import { describeDatabase } from '@gatehouse/database';
import { Logger } from 'nestjs-pino';
import { createApp } from './app.factory';
import { exitIfShutdownOverruns } from './common/graceful-shutdown';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  exitIfShutdownOverruns(config.http.shutdownGrace + config.http.shutdownDelay, (message) =>
    app.get(Logger).error(message, 'Main'),
  );
  await app.listen({ port: config.http.port, host: config.http.host });
  const url = await app.getUrl();
  app.get(Logger).log(`Gatehouse listening on ${url} with ${describeDatabase(config)}`, 'Main');
}

main().catch((error: unknown) => {
  // A configuration mistake is the operator's to fix: say what is wrong, not where in the code.
  // One line, every wrong setting named on it: what a log collector or a failing deploy shows in full.
  const message =
    error instanceof ConfigError
      ? `invalid configuration: ${error.problems.join('; ')}`
      : error instanceof Error
        ? error.message
        : String(error);
  process.stderr.write(`Gatehouse failed to start: ${message}\n`);
  process.exit(1);
});
