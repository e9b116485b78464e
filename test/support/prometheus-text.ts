/** One sample of a scrape: a series (name and labels) and its value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  samples: Sample[];
  /** Each metric family's declared type, by family name. */
  types: Map<string, string>;
  /** The value of the one series with exactly these labels (a subset when `partial`), or undefined. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every series of one sample name. */
  series(name: string): Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

function parseValue(text: string, line: number): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`line ${line}: bad value ${text}`);
  return Number(text);
}

/** Reads `{a="x",b="y\"z"}` from `text` at `start`; returns the labels and the index after `}`. */
function parseLabels(text: string, start: number, line: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = start + 1;
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without "="`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name ${name}`);
    if (name in labels) throw new Error(`line ${line}: label ${name} twice`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const next = text[j + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`line ${line}: bad escape \\${next}`);
        j += 2;
      } else {
        value += c;
        j++;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`line ${line}: expected "," or "}" after a label`);
  }
  return [labels, i + 1];
}

/**
 * A strict reader of the Prometheus text exposition format (0.0.4): every sample must belong to a family whose
 * TYPE came first, names and label names must be valid, label values properly escaped, values numbers, and no
 * series may appear twice. Throws on the first line that breaks a rule.
 */
export function parsePrometheusText(text: string): Scrape {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const seen = new Set<string>();
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw === '') return;
    if (raw.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!match) return; // a plain comment
      const [, kind, name, rest] = match;
      if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name ${name}`);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`line ${line}: unknown type ${rest}`);
        if (types.has(name)) throw new Error(`line ${line}: ${name} typed twice`);
        types.set(name, rest);
      } else {
        if (helps.has(name)) throw new Error(`line ${line}: ${name} has two HELP lines`);
        helps.add(name);
      }
      return;
    }
    const nameEnd = raw.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`line ${line}: not a sample: ${raw}`);
    const name = raw.slice(0, nameEnd);
    if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name ${name}`);
    let labels: Record<string, string> = {};
    let rest = nameEnd;
    if (raw[nameEnd] === '{') [labels, rest] = parseLabels(raw, nameEnd, line);
    if (raw[rest] !== ' ') throw new Error(`line ${line}: expected a space before the value`);
    const parts = raw.slice(rest + 1).split(' ');
    if (parts.length > 2) throw new Error(`line ${line}: trailing text`);
    if (parts.length === 2 && !/^-?\d+$/.test(parts[1])) throw new Error(`line ${line}: bad timestamp`);
    const family = [...types.keys()].find((candidate) =>
      (SUFFIXES[types.get(candidate)!] ?? ['']).some((suffix) => candidate + suffix === name),
    );
    if (!family) throw new Error(`line ${line}: sample ${name} before its TYPE`);
    if (types.get(family) === 'histogram' && name.endsWith('_bucket') && labels.le === undefined) {
      throw new Error(`line ${line}: a bucket without "le"`);
    }
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${line}: series ${key} twice`);
    seen.add(key);
    samples.push({ name, labels, value: parseValue(parts[0], line) });
  });

  const matches = (sample: Sample, labels: Record<string, string>) =>
    Object.keys(sample.labels).length === Object.keys(labels).length &&
    Object.entries(labels).every(([key, value]) => sample.labels[key] === value);
  return {
    samples,
    types,
    value: (name, labels = {}) => samples.find((s) => s.name === name && matches(s, labels))?.value,
    series: (name) => samples.filter((s) => s.name === name),
  };
}
