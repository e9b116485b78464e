import { PGlite } from '@electric-sql/pglite';
import { cpSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MADE_MARK, madeOnce } from './made-once';

// PGlite's initdb takes about 5 s of a test app's start; copying its result takes a tenth of that. The template
// holds nothing of ours (no migration, no row), so every app still migrates an empty cluster as `npm start` does.
const { version } = JSON.parse(
  readFileSync(join(__dirname, '../../node_modules/@electric-sql/pglite/package.json'), 'utf8'),
) as { version: string };
const TEMPLATE = join(tmpdir(), `gatehouse-pglite-template-${version}`);

let made: Promise<string> | undefined;

/** Makes the template once per machine and PGlite version. */
function makeTemplate(): Promise<string> {
  made ??= madeOnce(TEMPLATE, async (building) => {
    const db = new PGlite(building);
    await db.waitReady;
    await db.close();
  });
  return made;
}

/** Fills `pgdataDir` (which must not exist) with a freshly initialised, empty PGlite cluster. */
export async function copyPgliteTemplate(pgdataDir: string): Promise<void> {
  await makeTemplate();
  cpSync(TEMPLATE, pgdataDir, { recursive: true, filter: (source) => !source.endsWith(MADE_MARK) });
}
