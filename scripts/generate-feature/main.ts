/**
 * `npm run generate:feature -- <name> [--singular <word>] [--org]`: adds a CRUD feature the way apps/api/src/notes
 * is built (entity, DTOs, service, controller, module), owned by a user; with `--org`, the way apps/api/src/projects
 * is, owned by the caller's active organization. Then its migration, its registrations (app.module.ts, the
 * migrations list, ormconfig.ts; a user's feature also registers its rows as the user's data, in its module, for
 * the account's export and deletion), its e2e test, and regenerates the client's types.
 * It writes nothing when any file it would write already exists.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { parseFeatureArguments, USAGE } from './feature-arguments';
import { featureConflict, nextMigrationTimestamp } from './feature-conflicts';
import { featureFiles, FeatureOwner, GeneratedFile } from './feature-files';
import { featureNames, FeatureNames } from './feature-names';
import { RegistrationError, registrations } from './registrations';

const ROOT = resolve(__dirname, '../..');

class Refusal extends Error {}

/** Everything the feature writes and edits, computed before anything is written. */
function plan(n: FeatureNames, owner: FeatureOwner): GeneratedFile[] {
  const conflict = featureConflict(ROOT, n, owner);
  if (conflict) throw new Refusal(conflict);
  const timestamp = nextMigrationTimestamp(ROOT);
  const created = featureFiles(n, timestamp, owner);
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
  const parsed = parseFeatureArguments(process.argv.slice(2));
  if (typeof parsed === 'string') throw new Refusal(parsed);
  if ('help' in parsed) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const names = featureNames(parsed.name, parsed.singular);
  if (typeof names === 'string') throw new Refusal(names);
  const files = plan(names, parsed.owner);
  await writeFormatted(files);
  for (const file of files) process.stdout.write(`wrote ${file.path}\n`);

  // The client's wire types come from the app's OpenAPI document, which now has the new routes.
  const types = spawnSync('npm', ['run', '--silent', 'client:types'], { cwd: ROOT, stdio: 'inherit' });
  if (types.status !== 0) {
    throw new Error('the feature was written, but `npm run client:types` failed: run it again once fixed');
  }
  const route = parsed.owner === 'organization' ? `/api/orgs/:id/${names.plural}` : `/api/${names.plural}`;
  process.stdout.write(
    `\n${route} is ready. Next: give ${names.singularClass} its real columns (entity, DTOs, migration),\n` +
      `then run npx jest --runInBand test/${names.plural}.e2e-spec.ts. See docs/adding-a-feature.md.\n`,
  );
}

main().catch((error: unknown) => {
  const message =
    error instanceof Refusal ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`generate:feature: ${message}\n`);
  process.exit(1);
});
