import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FeatureOwner } from './feature-files';
import { FeatureNames } from './feature-names';

/** Every `.ts` file under `dir`, recursively, skipping dependencies and build output. */
function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', 'dist'].includes(entry.name) ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The path of every controller the app has (`auth`, `notes`, `orgs/:id/projects`, …), and Swagger's own. */
function controllerPaths(sources: string[]): string[] {
  const paths = ['docs', 'docs-json'];
  for (const file of sources) {
    for (const match of readFileSync(file, 'utf8').matchAll(/@Controller\(\s*['"]([^'"]+)['"]/g)) {
      paths.push(match[1]);
    }
  }
  return paths;
}

/** Whether a controller at `path` serves the feature's routes: `/api/<plural>…`, or `/api/orgs/:id/<plural>…`. */
function servesRoute(path: string, plural: string, owner: FeatureOwner): boolean {
  const [first, second, third] = path.split('/');
  return owner === 'organization'
    ? first === 'orgs' && second?.startsWith(':') && third === plural
    : first === plural;
}

/** The classes a feature named so would declare: each must be new, or Nest and Swagger would confuse the two. */
function classNames(n: FeatureNames): string[] {
  const stem = n.singularClass;
  return [
    stem,
    `Create${stem}Dto`,
    `Update${stem}Dto`,
    `${stem}Dto`,
    `${stem}PageDto`,
    `${n.pluralClass}Service`,
    `${n.pluralClass}Controller`,
    `${n.pluralClass}Module`,
  ];
}

/** Why a feature of that name, owned by `owner`, cannot be added to the repository at `root`; undefined when it can. */
export function featureConflict(
  root: string,
  n: FeatureNames,
  owner: FeatureOwner = 'user',
): string | undefined {
  if (existsSync(join(root, 'apps/api/src', n.plural)))
    return `apps/api/src/${n.plural} already exists: "${n.plural}" is an existing feature`;

  const sources = [...sourceFiles(join(root, 'apps')), ...sourceFiles(join(root, 'libs'))];
  const route = owner === 'organization' ? `/api/orgs/:id/${n.plural}` : `/api/${n.plural}`;
  if (controllerPaths(sources).some((path) => servesRoute(path, n.plural, owner)))
    return `the route ${route} is already served by another controller`;

  const migrationsDir = join(root, 'libs/database/src/migrations');
  const table = new RegExp(`CREATE TABLE (IF NOT EXISTS )?"${n.table}"`);
  for (const file of sourceFiles(migrationsDir)) {
    if (table.test(readFileSync(file, 'utf8')))
      return `a table "${n.table}" already exists (created in ${file})`;
  }

  for (const name of [n.readScope, n.writeScope]) {
    // A key of a defineScopes({...}) or grantPermissions({...}) object: two features sharing a scope would open
    // each other's routes to API keys, and sharing a permission, to the same roles.
    const declared = new RegExp(`['"]${name}['"]\\s*:`);
    const file = sources.find((path) => declared.test(readFileSync(path, 'utf8')));
    const what = owner === 'organization' ? 'scope or permission' : 'scope';
    if (file) return `the ${what} ${name} is already declared (${file.slice(root.length + 1)})`;
  }

  if (owner === 'user') {
    // A user's feature is exported under its name with the account's other data (libs/users/src/user-data):
    // two parts of one name would stop the app at start.
    const part = new RegExp(`\\bname:\\s*['"]${n.pluralProperty}['"]`);
    const file = sources.find((path) => {
      const text = readFileSync(path, 'utf8');
      return /\bUserDataPart\b|\bownedRows\(/.test(text) && part.test(text);
    });
    if (file)
      return `the user data ${n.pluralProperty} is already registered (${file.slice(root.length + 1)})`;
  }

  for (const name of classNames(n)) {
    const declared = new RegExp(`\\bclass ${name}\\b`);
    const file = sources.find((path) => declared.test(readFileSync(path, 'utf8')));
    if (file) return `a class ${name} already exists (${file.slice(root.length + 1)})`;
  }
  return undefined;
}

/** A migration timestamp later than every existing one, and no earlier than now (as TypeORM's own are). */
export function nextMigrationTimestamp(root: string, now = Date.now()): number {
  const existing = readdirSync(join(root, 'libs/database/src/migrations'))
    .map((file) => /^(\d+)-/.exec(file)?.[1])
    .filter((stamp): stamp is string => stamp !== undefined)
    .map(Number);
  return Math.max(now, ...existing.map((stamp) => stamp + 1));
}
