import type { CpuSplit } from './cpu';

/** The keys of bench/results.json, in the order the issue lists them. */
export const RESULT_KEYS = [
  'guard_ratio',
  'guard_ratio_cold',
  'dpop_guard_ratio',
  'api_key_guard_ratio',
  'public_floor_ratio',
  'refresh_cost_ratio',
  'refresh_floor_ratio',
  'refresh_rps_org',
  'public_rps',
  'guarded_rps',
  'db_queries_per_guarded_request',
  'metrics_guard_cost',
  'refresh_rps',
  'refresh_p99_ms',
  'legacy_rotation_ceiling_tps',
  'pg_rotation_ceiling_tps',
  'refresh_ratio',
  'double_live_tokens',
  'refresh_rps_pglite',
  'refresh_pglite_ratio',
  'login_storm_p99_ratio',
  'login_rps',
  'argon2_verify_ceiling',
  'login_ratio',
  'refresh_p50_scale_ratio',
  'activity_p50_scale_ratio',
  'revocation_bytes_per_entry',
  'me_rps',
  'me_ratio',
  'me_p99_ms',
  'workers_refresh_scale',
] as const;

export type ResultKey = (typeof RESULT_KEYS)[number];

interface Row {
  key: ResultKey;
  label: string;
  value: string;
  baseline: string;
  figure: string;
  goal: string;
  met?: boolean;
}

export interface CpuRow {
  scenario: string;
  eventLoopUtilization?: number;
  serverCores?: number;
  cpu?: CpuSplit;
}

/** The run's figures: the markdown table (each figure beside its same-run baseline) and results.json. */
export class Report {
  readonly values: Partial<Record<ResultKey, number>> = {};
  readonly details: Record<string, unknown> = {};
  readonly cpuRows: CpuRow[] = [];
  machine: Record<string, string | number> = {};
  private readonly rows: Row[] = [];

  add(
    key: ResultKey,
    value: number,
    row: {
      label: string;
      value: string;
      baseline: string;
      goal: string;
      met?: (value: number) => boolean;
      digits?: number;
    },
  ): void {
    this.values[key] = value;
    const digits = row.digits ?? 3;
    this.rows.push({
      key,
      label: row.label,
      value: row.value,
      baseline: row.baseline,
      figure: value.toLocaleString('en-US', { maximumFractionDigits: digits }),
      goal: row.goal,
      met: row.met?.(value),
    });
  }

  json(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of RESULT_KEYS) out[key] = round(this.values[key]);
    out.goals = Object.fromEntries(this.rows.filter((r) => r.met !== undefined).map((r) => [r.key, r.met]));
    out.machine = this.machine;
    out.cpu = this.cpuRows;
    out.details = this.details;
    return out;
  }

  markdown(): string {
    const lines = [
      '| metric | value | baseline (same run) | figure / goal | met? |',
      '| --- | --- | --- | --- | --- |',
    ];
    for (const row of this.rows) {
      const met = row.met === undefined ? '—' : row.met ? 'yes' : '**no**';
      const goal = row.goal === 'report' ? 'reported' : `goal ${row.goal}`;
      lines.push(
        `| \`${row.key}\`: ${row.label} | ${row.value} | ${row.baseline} | **${row.figure}** / ${goal} | ${met} |`,
      );
    }
    return lines.join('\n');
  }

  /** Where the two cores went in each measured run. */
  cpuMarkdown(): string {
    const lines = [
      '| scenario | server event loop busy | server process (cores) | load generator (cores) | PostgreSQL (cores) | other (cores) | machine busy (cores) |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    ];
    const n = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(2));
    for (const row of this.cpuRows) {
      const elu =
        row.eventLoopUtilization === undefined ? '—' : `${(row.eventLoopUtilization * 100).toFixed(0)} %`;
      lines.push(
        `| ${row.scenario} | ${elu} | ${n(row.serverCores)} | ${n(row.cpu?.loadGenerator)} | ${n(row.cpu?.postgres)} | ${n(row.cpu?.other)} | ${n(row.cpu?.machine)} |`,
      );
    }
    return lines.join('\n');
  }
}

function round(value: number | undefined): number | null {
  if (value === undefined || !Number.isFinite(value)) return null;
  return Number(value.toPrecision(6));
}
