import { AppConfig } from '@gatehouse/config';
import cluster, { Address, Worker } from 'node:cluster';
import { Logger } from 'pino';
import { HostMetrics } from './host-metrics';
import { isStartFailedMessage, startFailureLine } from './start-failure';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
/** Beyond each worker's own limit (its SHUTDOWN_DELAY + SHUTDOWN_GRACE + 5 s), before the primary stops waiting. */
const STOP_MARGIN_MS = 10_000;
/** The first replacement of a crashed worker waits this long; each further crash within a minute doubles it. */
const FIRST_RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;
const CRASH_MEMORY_MS = 60_000;
/** A replacement that fails to start this many times in a row is not tried again: the primary stops. */
const MAX_FAILED_STARTS = 5;

/** One place in the pool: the worker in it now, and what the ones before it did. */
interface Slot {
  readonly index: number;
  worker?: Worker;
  listening: boolean;
  /** Pid of the worker this one replaces, until it listens. */
  replacing?: number;
  restartTimer?: NodeJS.Timeout;
  /** When workers of this slot died unexpectedly, within the last minute. */
  crashes: number[];
  failedStarts: number;
  startFailure?: string;
}

/**
 * The cluster primary: forks WORKERS processes that each run the app as `main.ts` does alone, and does no HTTP
 * (nor database) work itself. The workers share the listening socket through the primary. The first slot's
 * worker runs the periodic clean-up; the others start with CLEANUP_INTERVAL=off. A worker that dies is replaced,
 * the slot's role with it, after a delay that grows while it keeps dying; one that cannot start stops the pool.
 * SIGTERM or SIGINT is passed to every worker, each drains as a single process does, and the pool resolves with
 * the exit code once all are gone: 0 when every one closed cleanly. With METRICS_TOKEN set it also gathers the
 * workers' metrics for a scrape, so that /api/metrics describes the host whichever worker answers.
 */
export class WorkerPool {
  private readonly slots: Slot[];
  private readonly bySlot = new Map<Worker, Slot>();
  private stopping?: string;
  private failed = false;
  private fatalReason?: string;
  private announced = false;
  private exited = false;
  /** With METRICS_TOKEN set: answers the workers' requests for the whole host's metrics. */
  private hostMetrics?: HostMetrics;
  private finish!: (code: number) => void;
  private readonly finished = new Promise<number>((resolve) => (this.finish = resolve));

  constructor(
    private readonly config: AppConfig,
    private readonly log: Logger,
  ) {
    this.slots = Array.from({ length: config.workers }, (_, index) => ({
      index,
      listening: false,
      crashes: [],
      failedStarts: 0,
    }));
  }

  /** Starts every worker; resolves with the process's exit code once the pool has stopped. */
  run(): Promise<number> {
    for (const signal of SIGNALS) process.on(signal, () => this.stop(signal));
    cluster.on('listening', (worker, address) => this.onListening(worker, address));
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    if (this.config.metrics.token) {
      this.hostMetrics = new HostMetrics(
        () =>
          this.slots.some((slot) => slot.worker && !slot.listening) ? 'a worker is starting' : undefined,
        (message) => this.info(message, 'warn'),
      );
    }
    for (const slot of this.slots) this.fork(slot);
    return this.finished;
  }

  private info(message: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.log[level]({ context: 'Workers' }, message);
  }

  private fork(slot: Slot): void {
    slot.restartTimer = undefined;
    slot.listening = false;
    slot.startFailure = undefined;
    // Only the first slot cleans; with CLEANUP_INTERVAL=off set by the operator, it inherits that too.
    const worker = cluster.fork(slot.index === 0 ? {} : { CLEANUP_INTERVAL: 'off' });
    slot.worker = worker;
    this.bySlot.set(worker, slot);
    worker.on('message', (message: unknown) => {
      if (isStartFailedMessage(message)) slot.startFailure = message.reason;
      else this.hostMetrics?.handle(worker, message);
    });
  }

  private onListening(worker: Worker, address: Address): void {
    const slot = this.bySlot.get(worker);
    if (!slot) return;
    slot.listening = true;
    slot.failedStarts = 0;
    if (slot.replacing !== undefined) {
      this.info(`worker ${worker.process.pid} is listening in place of worker ${slot.replacing}`);
      slot.replacing = undefined;
    }
    if (!this.announced && this.slots.every((each) => each.listening)) {
      this.announced = true;
      const pids = this.slots.map((each) => each.worker?.process.pid);
      this.info(
        `Gatehouse listening on ${urlOf(address)} with ${pids.length} workers (pids ${pids.join(', ')}; ${pids[0]} runs the periodic clean-up)`,
      );
    }
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const slot = this.bySlot.get(worker);
    if (!slot) return;
    this.bySlot.delete(worker);
    slot.worker = undefined;
    const pid = worker.process.pid;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (this.stopping) {
      // A drained worker exits 0 or dies of the very signal it was asked to stop by (Nest re-raises it).
      const clean = code === 0 || (signal !== null && (SIGNALS as readonly string[]).includes(signal));
      if (!clean || slot.startFailure) this.failed = true;
      if (!clean) this.info(`worker ${pid} ended with ${how} while stopping`, 'error');
      if (slot.startFailure) this.fatalReason ??= slot.startFailure;
      this.finishIfAllGone();
      return;
    }
    if (!slot.listening) {
      const reason = slot.startFailure ?? `a worker exited with ${how} before it listened`;
      // At the pool's start nothing was serving yet: a failure there (a wrong setting, the database down) is
      // the operator's to fix, and trying again would only repeat it.
      if (!this.announced || ++slot.failedStarts >= MAX_FAILED_STARTS) {
        this.fatal(reason);
        return;
      }
      this.info(`worker ${pid} could not start (${reason})`, 'error');
    } else {
      this.info(`worker ${pid} exited unexpectedly with ${how}`, 'error');
    }
    this.replaceLater(slot, pid);
  }

  private replaceLater(slot: Slot, pid: number | undefined): void {
    const now = Date.now();
    slot.crashes = [...slot.crashes.filter((at) => now - at < CRASH_MEMORY_MS), now];
    const delay = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** (slot.crashes.length - 1));
    slot.replacing = pid;
    this.info(`starting another worker in ${delay} ms`, 'warn');
    slot.restartTimer = setTimeout(() => this.fork(slot), delay);
  }

  /** A start that failed: stop the others and exit with its reason. */
  private fatal(reason: string): void {
    this.fatalReason = reason;
    this.failed = true;
    this.stop('SIGTERM');
  }

  private stop(signal: NodeJS.Signals): void {
    if (this.stopping) return;
    this.stopping = signal;
    for (const slot of this.slots) clearTimeout(slot.restartTimer);
    const live = this.slots.flatMap((slot) => (slot.worker ? [slot.worker] : []));
    if (!this.fatalReason) this.info(`${signal}: stopping ${live.length} workers`);
    for (const worker of live) worker.process.kill(signal);
    const limitMs = (this.config.http.shutdownDelay + this.config.http.shutdownGrace) * 1000 + STOP_MARGIN_MS;
    setTimeout(() => {
      const left = this.slots.flatMap((slot) => (slot.worker ? [slot.worker] : []));
      this.info(
        `${left.length} worker(s) still running ${limitMs} ms after ${signal} (SHUTDOWN_DELAY + SHUTDOWN_GRACE + margin); killing them`,
        'error',
      );
      for (const worker of left) worker.process.kill('SIGKILL');
      this.failed = true;
      this.exit();
    }, limitMs).unref();
    this.finishIfAllGone();
  }

  private finishIfAllGone(): void {
    if (this.slots.every((slot) => !slot.worker)) this.exit();
  }

  private exit(): void {
    if (this.exited) return;
    this.exited = true;
    if (this.fatalReason) process.stderr.write(startFailureLine(this.fatalReason));
    else this.info(this.failed ? 'workers stopped; not every one cleanly' : 'workers stopped');
    this.finish(this.failed ? 1 : 0);
  }
}

function urlOf(address: Address): string {
  const host =
    address.address && !['0.0.0.0', '::'].includes(address.address) ? address.address : 'localhost';
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}
