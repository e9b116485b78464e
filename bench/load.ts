import autocannon from 'autocannon';
import { percentile } from './stats';

/** What one load run measured; latencies in milliseconds, microsecond precision, successful requests only. */
export interface LoadResult {
  seconds: number;
  /** Responses with a 2xx status. */
  ok: number;
  /** Successful responses per second. */
  rps: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export type LoadOptions = autocannon.Options;

class Latencies {
  private values = new Float64Array(1 << 16);
  private length = 0;

  add(value: number): void {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }

  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

/**
 * Runs autocannon against 127.0.0.1 for a bounded time. Latencies are taken from every response event at full
 * precision (autocannon's own histogram rounds to whole milliseconds, and corrects rate-limited runs for
 * coordinated omission with 1 ms steps, which would swamp a few-millisecond p99).
 */
export async function load(options: LoadOptions): Promise<LoadResult> {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(String(options.url))) {
    throw new Error(`bench load goes to 127.0.0.1 only, not ${String(options.url)}`);
  }
  const latencies = new Latencies();
  let ok = 0;
  const started = process.hrtime.bigint();
  let finish!: (result: autocannon.Result) => void;
  let fail!: (error: Error) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => ((finish = resolve), (fail = reject)));
  const rated = options.overallRate !== undefined || options.connectionRate !== undefined;
  const instance = autocannon({ ...options, ignoreCoordinatedOmission: rated }, (error, result) =>
    error ? fail(error) : finish(result),
  );
  instance.on('response', (_client, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) {
      ok++;
      latencies.add(responseTime);
    }
  });
  const result = await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sorted = latencies.sorted();
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = (stats as { count: number }).count;
  }
  return {
    seconds,
    ok,
    rps: ok / seconds,
    non2xx: result.non2xx,
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}
