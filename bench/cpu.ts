import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** Cores used on average during a run, by who used them. */
export interface CpuSplit {
  server: number;
  loadGenerator: number;
  /** PostgreSQL's shared processes and the backends serving the bench's database. */
  postgres: number;
  /** Everything else: other processes on the machine, other databases' backends, bench helper children. */
  other: number;
  /** All cores of the machine that were busy. */
  machine: number;
}

interface Snapshot {
  at: number;
  server: number;
  driver: number;
  postgres: Map<string, number>;
  machineBusy: number;
}

/** utime + stime of a process (all its threads), in ticks; 0 when it is gone. */
export function processTicks(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

// A backend's title: "postgres: 15/main: <user> <database> <host>(<port>) <state>".
const BACKEND = /^postgres: \S+: \S+ (\S+) [\d.:a-f]+\(\d+\)/;

/** Ticks of each PostgreSQL process that works for `database`: shared ones (WAL writer...) and its backends. */
function postgresTicks(database: string | undefined): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const backend = BACKEND.exec(title);
      if (backend && backend[1] !== database) continue;
      ticks.set(entry, processTicks(entry));
    } catch {
      // gone meanwhile
    }
  }
  return ticks;
}

export function machineBusyTicks(): number {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  const [user, nice, system, , , irq, softirq, steal] = cpu.trim().split(/\s+/).slice(1).map(Number);
  return user + nice + system + irq + softirq + steal;
}

/** Cores busy on the whole machine over `ms` (undefined without /proc). */
export async function machineBusyCores(ms: number): Promise<number | undefined> {
  try {
    const from = machineBusyTicks();
    await new Promise((resolve) => setTimeout(resolve, ms));
    return (machineBusyTicks() - from) / TICKS_PER_SECOND / (ms / 1000);
  } catch {
    return undefined;
  }
}

/**
 * Measures where the machine's CPU went between `start()` and `stop()`: the server child, this process (the load
 * generator), PostgreSQL working for the bench's database, and everything else. Undefined without /proc.
 */
export class CpuMeter {
  private from?: Snapshot;

  /** `serverPid`: the server's process, or all of them (a cluster primary and its workers). */
  constructor(
    private readonly serverPid: () => number | readonly number[] | undefined,
    private readonly database?: string,
  ) {}

  private snapshot(): Snapshot | undefined {
    try {
      const pids = this.serverPid() ?? [];
      return {
        at: Date.now(),
        server: (typeof pids === 'number' ? [pids] : pids).reduce((sum, pid) => sum + processTicks(pid), 0),
        driver: processTicks(process.pid),
        postgres: postgresTicks(this.database),
        machineBusy: machineBusyTicks(),
      };
    } catch {
      return undefined;
    }
  }

  start(): void {
    this.from = this.snapshot();
  }

  stop(): CpuSplit | undefined {
    const to = this.snapshot();
    const from = this.from;
    if (!from || !to) return undefined;
    const seconds = (to.at - from.at) / 1000;
    const cores = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND / seconds) * 100) / 100;
    let postgresDelta = 0;
    // Per process: one that started meanwhile counts from zero; one that exited meanwhile is lost (not negative).
    for (const [pid, ticks] of to.postgres)
      postgresDelta += Math.max(0, ticks - (from.postgres.get(pid) ?? 0));
    const server = cores(to.server - from.server);
    const loadGenerator = cores(to.driver - from.driver);
    const postgres = cores(postgresDelta);
    const machine = cores(to.machineBusy - from.machineBusy);
    const other = Math.max(0, Math.round((machine - server - loadGenerator - postgres) * 100) / 100);
    return { server, loadGenerator, postgres, other, machine };
  }
}
