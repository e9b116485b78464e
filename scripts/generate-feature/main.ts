/**
 * `npm run generate:feature -- <name> [--singular <word>]`: adds an owner-scoped CRUD feature the way
 * apps/api/src/notes is built (entity, DTOs, service, controller, module), its migration, its registrations
 * (app.module.ts, the migrations list, ormconfig.ts), its e2e test, and regenerates the client's types.
 * It writes nothing when any file it would write already exists.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { featureConflict, nextMigrationTimestamp } from './feature-conflicts';
import { featureFiles, GeneratedFile } from './feature-files';
import { featureNames, FeatureNames } from './feature-names';
import { RegistrationError, registrations } from './registrations';

const ROOT = resolve(__dirname, '../..');
const USAGE = 'usage: npm run generate:feature -- <plural-name> [--singular <word>]   e.g. bookmarks';

class Refusal extends Error {}

function parseArguments(args: string[]): { name: string; singular?: string } {
  let name: string | undefined;
  let singular: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--singular') singular = args[++i];
    else if (arg.startsWith('--singular=')) singular = arg.slice('--singular='.length);
    else if (arg.startsWith('-')) throw new Refusal(`unknown option ${arg}\n${USAGE}`);
    else if (name === undefined) name = arg;
    else throw new Refusal(`one feature at a time (got "${name}" and "${arg}")\n${USAGE}`);
  }
  if (name === undefined) throw new Refusal(USAGE);
  if (args.includes('--singular') && !singular) throw new Refusal(`--singular needs a word\n${USAGE}`);
  return { name, singular };
}

/** Everything the feature writes and edits, computed before anything is written. */
function plan(n: FeatureNames): GeneratedFile[] {
  const conflict = featureConflict(ROOT, n);
  if (conflict) throw new Refusal(conflict);
  const timestamp = nextMigrationTimestamp(ROOT);
  const created = featureFiles(n, timestamp);
  const existing = created.filter((file) => existsSync(join(ROOT, file.path)));
  if (existing.length > 0)
    throw new Refusal(`refusing to overwrite ${existing.map((file) => file.path).join(', ')}`);
  try {
    const edited = registrations(n, timestamp).map(({ path, apply }) => ({
      path,
      text: apply(readFileSync(join(ROOT, path), 'utf8')),
    }));
    return [...created, ...edited];
  } catch (error) {
    if (error instanceof RegistrationError) throw new Refusal(`${error.message}; nothing was written`);
    throw error;
  }
}

async function writeFormatted(files: GeneratedFile[]): Promise<void> {
  for (const file of files) {
    const path = join(ROOT, file.path);
    const options = (await resolveConfig(path)) ?? {};
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, await format(file.text, { ...options, filepath: path }));
  }
}

async function main(): Promise<void> {
  const { name, singular } = parseArguments(process.argv.slice(2));
  const names = featureNames(name, singular);
  if (typeof names === 'string') throw new Refusal(names);
  const files = plan(names);
  await writeFormatted(files);
  for (const file of files) process.stdout.write(`wrote ${file.path}\n`);

  // The client's wire types come from the app's OpenAPI document, which now has the new routes.
  const types = spawnSync('npm', ['run', '--silent', 'client:types'], { cwd: ROOT, stdio: 'inherit' });
  if (types.status !== 0) {
    throw new Error('the feature was written, but `npm run client:types` failed: run it again once fixed');
  }
  process.stdout.write(
    `\n/api/${names.plural} is ready. Next: give ${names.singularClass} its real columns (entity, DTOs, migration),\n` +
      `then run npx jest --runInBand test/${names.plural}.e2e-spec.ts. See docs/adding-a-feature.md.\n`,
  );
}

main().catch((error: unknown) => {
  const message =
    error instanceof Refusal ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`generate:feature: ${message}\n`);
  process.exit(1);
});
