import { ConfigError } from '@gatehouse/config';
import cluster from 'node:cluster';

/** What a worker that could not start tells its primary, which says it once for all of them. */
export interface StartFailedMessage {
  readonly gatehouse: 'start-failed';
  readonly reason: string;
}

export function isStartFailedMessage(message: unknown): message is StartFailedMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as Partial<StartFailedMessage>).gatehouse === 'start-failed' &&
    typeof (message as Partial<StartFailedMessage>).reason === 'string'
  );
}

/** Why the start failed, in one line: a configuration mistake is the operator's to fix, so no stack. */
export function describeStartFailure(error: unknown): string {
  // Every wrong setting named on one line: what a log collector or a failing deploy shows in full.
  if (error instanceof ConfigError) return `invalid configuration: ${error.problems.join('; ')}`;
  return error instanceof Error ? error.message : String(error);
}

/** The one line a failed start prints on stderr. */
export function startFailureLine(reason: string): string {
  return `Gatehouse failed to start: ${reason.replace(/\s*\n\s*/g, ' ')}\n`;
}

/**
 * Ends a process whose start failed: a worker hands the reason to its primary (which prints it once, however many
 * workers failed alike); a lone process, or a worker whose primary is gone, prints it itself.
 */
export function exitAfterStartFailure(error: unknown): void {
  const reason = describeStartFailure(error);
  if (cluster.isWorker && process.send && process.connected) {
    const message: StartFailedMessage = { gatehouse: 'start-failed', reason };
    process.send(message, () => process.exit(1));
    return;
  }
  process.stderr.write(startFailureLine(reason));
  process.exit(1);
}
