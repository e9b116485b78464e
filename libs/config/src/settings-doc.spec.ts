import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Env } from './env-reader';
import { loadConfig } from './load-config';
import { listSettingNames } from './setting-names';

const ROOT = resolve(__dirname, '../../..');
const SETTINGS_PAGE = 'docs/settings.md';
const HEADER = /^\|\s*name\s*\|\s*default\s*\|\s*meaning\s*\|\s*allowed values\s*\|\s*$/i;

interface SettingRow {
  readonly name: string;
  readonly defaultCell: string;
  readonly line: number;
}

/** The rows of the page's one settings table, with the problems that keep a row from being read. */
function readSettingsTable(text: string): { rows: SettingRow[]; problems: string[] } {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => HEADER.test(line));
  if (start === -1)
    return {
      rows: [],
      problems: [`${SETTINGS_PAGE} has no "| name | default | meaning | allowed values |" table`],
    };
  const rows: SettingRow[] = [];
  const problems: string[] = [];
  for (let index = start + 2; index < lines.length && lines[index].startsWith('|'); index++) {
    const cells = lines[index]
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    const name = /^`([A-Z][A-Z0-9_<>]*)`$/.exec(cells[0] ?? '')?.[1];
    if (cells.length !== 4 || name === undefined) {
      problems.push(`${SETTINGS_PAGE}:${index + 1} is not a row of one \`NAME\` and three more cells`);
    } else {
      rows.push({ name, defaultCell: cells[1], line: index + 1 });
    }
  }
  return { rows, problems };
}

/** `x` when the cell is exactly one code span holding a value (no `<PLACEHOLDER>`); undefined otherwise. */
function literalDefault(cell: string): string | undefined {
  const match = /^`([^`]+)`$/.exec(cell);
  if (!match || /<[A-Z_]+>/.test(match[1])) return undefined;
  return match[1];
}

const PROVIDER = 'OAUTH_DOCPROBE_';
/** A valid provider of the type the setting belongs to, so its optional settings are actually read. */
function baseEnvFor(name: string): Env {
  if (!name.startsWith('OAUTH_<ID>_')) return {};
  const github = name.includes('GITHUB');
  return {
    OAUTH_PROVIDERS: 'docprobe',
    [`${PROVIDER}TYPE`]: github ? 'github' : 'oidc',
    ...(github ? {} : { [`${PROVIDER}ISSUER`]: 'https://issuer.example.com' }),
    [`${PROVIDER}CLIENT_ID`]: 'client',
    [`${PROVIDER}CLIENT_SECRET`]: 'secret',
  };
}

/** Names written literally as the first argument of a reader call in the config's sources. */
function namesInConfigSources(): Map<string, string> {
  const found = new Map<string, string>();
  const calls =
    /(?:env\.(?:raw|string|integer|boolean|duration|url|oneOf|keySource)\(\s*|\(env,\s*)'([A-Z][A-Z0-9_]*)'/g;
  const providerTemplates = /`\$\{prefix\}([A-Z][A-Z0-9_]*)`/g;
  for (const file of readdirSync(__dirname).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))) {
    const source = readFileSync(join(__dirname, file), 'utf8');
    for (const match of source.matchAll(calls)) found.set(match[1], file);
    for (const match of source.matchAll(providerTemplates)) found.set(`OAUTH_<ID>_${match[1]}`, file);
  }
  return found;
}

describe(SETTINGS_PAGE, () => {
  const { rows, problems: tableProblems } = readSettingsTable(
    readFileSync(join(ROOT, SETTINGS_PAGE), 'utf8'),
  );
  const read = listSettingNames();

  it('has a readable settings table', () => {
    expect(tableProblems).toEqual([]);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('lists exactly the environment variables libs/config reads, each once', () => {
    const documented = rows.map((row) => row.name);
    const problems = [
      ...read
        .filter((name) => !documented.includes(name))
        .map((name) => `${name} is read by libs/config but missing from ${SETTINGS_PAGE}: add a row for it`),
      ...documented
        .filter((name) => !read.includes(name))
        .map((name) => `${name} is in ${SETTINGS_PAGE} but libs/config does not read it: remove the row`),
      ...documented
        .filter((name, index) => documented.indexOf(name) !== index)
        .map((name) => `${name} has more than one row in ${SETTINGS_PAGE}`),
    ];
    expect(problems).toEqual([]);
  });

  it('gives each simple default the value the config applies when the variable is unset', () => {
    const problems: string[] = [];
    const checked: string[] = [];
    for (const row of rows) {
      const value = literalDefault(row.defaultCell);
      if (value === undefined || !read.includes(row.name)) continue;
      const base = baseEnvFor(row.name);
      const variable = row.name.replace('OAUTH_<ID>_', PROVIDER);
      // Setting a variable to its default must leave every setting as it is without it.
      let same: boolean;
      try {
        same =
          JSON.stringify(loadConfig({ ...base, [variable]: value })) === JSON.stringify(loadConfig(base));
      } catch (error) {
        problems.push(
          `${row.name}=${value} (${SETTINGS_PAGE}:${row.line}) is refused: ${(error as Error).message}`,
        );
        continue;
      }
      if (!same)
        problems.push(
          `${row.name}: ${SETTINGS_PAGE}:${row.line} says ${value}, the config's default differs`,
        );
      checked.push(row.name);
    }
    expect(problems).toEqual([]);
    // The check is worth something only while most defaults are written as plain values.
    expect(checked.length).toBeGreaterThan(40);
  });
});

describe('listSettingNames', () => {
  it('reaches every variable the config sources name literally', () => {
    const read = listSettingNames();
    const unreached = [...namesInConfigSources()]
      .filter(([name]) => !read.includes(name))
      .map(([name, file]) => `${name} (named in ${file}) is never read by the probes in setting-names.ts`);
    expect(unreached).toEqual([]);
  });

  it('reports a provider’s variables with the <ID> placeholder', () => {
    expect(listSettingNames()).toEqual(
      expect.arrayContaining(['OAUTH_PROVIDERS', 'OAUTH_<ID>_ISSUER', 'OAUTH_<ID>_GITHUB_API_URL']),
    );
  });
});
