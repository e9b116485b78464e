import { FeatureNames } from './feature-names';
import { migrationClass, migrationFile } from './feature-files';

/** One edit of a file that already exists: its path, and a function from its text to the new text. */
export interface Registration {
  path: string;
  apply: (text: string) => string;
}

/** Raised when a file no longer has the shape the generator knows how to edit; nothing has been written then. */
export class RegistrationError extends Error {}

/** Adds an import after the file's last import statement. */
function addImport(text: string, path: string, line: string): string {
  if (text.includes(line)) throw new RegistrationError(`${path} already has \`${line}\``);
  const imports = [...text.matchAll(/^import [^;]+;\n/gm)];
  const last = imports.at(-1);
  if (!last) throw new RegistrationError(`${path} has no import statement to add \`${line}\` after`);
  const end = last.index + last[0].length;
  return `${text.slice(0, end)}${line}\n${text.slice(end)}`;
}

/**
 * Adds `entry` as the last element of the multi-line array that starts with `opening` (e.g. `imports: [`): on a line
 * of its own before the array's closing line, or before the line holding `closing` when that is given.
 */
function addToArray(text: string, path: string, opening: string, entry: string, closing = ']'): string {
  const start = text.indexOf(opening);
  if (start < 0) throw new RegistrationError(`${path} has no \`${opening}\` to add ${entry} to`);
  const close = text.indexOf(closing, start + opening.length);
  const lineStart = text.lastIndexOf('\n', close) + 1;
  if (close < 0 || text.slice(lineStart, close).trim() !== '')
    throw new RegistrationError(`${path}: the list after \`${opening}\` is not one element a line`);
  let head = text.slice(0, lineStart - 1);
  const previous = head.slice(head.lastIndexOf('\n') + 1);
  let indent = /^\s*/.exec(previous)![0];
  if (previous.trimEnd().endsWith('[')) indent += '  ';
  else if (!previous.trimEnd().endsWith(',')) head += ',';
  return `${head}\n${indent}${entry},\n${text.slice(lineStart)}`;
}

/** The edits that make the app, the migration runner and the TypeORM CLI know the feature. */
export function registrations(n: FeatureNames, migrationTimestamp: number): Registration[] {
  const moduleClass = `${n.pluralClass}Module`;
  const migration = migrationClass(n, migrationTimestamp);
  return [
    {
      path: 'apps/api/src/app.module.ts',
      apply: (text) =>
        addToArray(
          addImport(
            text,
            'apps/api/src/app.module.ts',
            `import { ${moduleClass} } from './${n.plural}/${n.plural}.module';`,
          ),
          'apps/api/src/app.module.ts',
          'imports: [',
          moduleClass,
          '...(options.extraModules',
        ),
    },
    {
      path: 'libs/database/src/migrations/index.ts',
      apply: (text) =>
        addToArray(
          addImport(
            text,
            'libs/database/src/migrations/index.ts',
            `import { ${migration} } from './${migrationFile(n, migrationTimestamp)}';`,
          ),
          'libs/database/src/migrations/index.ts',
          'export const migrations = [',
          migration,
        ),
    },
    {
      path: 'ormconfig.ts',
      apply: (text) =>
        addToArray(
          addImport(
            text,
            'ormconfig.ts',
            `import { ${n.singularClass} } from './apps/api/src/${n.plural}/entities/${n.singular}.entity';`,
          ),
          'ormconfig.ts',
          'const entities = [',
          n.singularClass,
        ),
    },
  ];
}
