import { AppConfig } from '@gatehouse/config';
import pino, { Logger } from 'pino';
import pinoPretty from 'pino-pretty';

/**
 * The cluster primary's log: the same level and format as the workers' (JSON lines, or readable ones at a
 * terminal), written synchronously so that the line saying why it exits is never lost. It carries no request and
 * no secret, so it needs neither the request logger nor its redaction.
 */
export function primaryLog(config: AppConfig): Logger {
  if (config.log.format === 'pretty') {
    return pino(
      { level: config.log.level },
      pinoPretty({
        destination: 1,
        sync: true,
        colorize: process.stdout.isTTY === true,
        singleLine: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'hostname',
      }),
    );
  }
  return pino({ level: config.log.level }, pino.destination({ dest: 1, sync: true }));
}
