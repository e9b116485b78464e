import { PGlite } from '@electric-sql/pglite';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// PGlite's initdb takes about 5 s of a test app's start; copying its result takes a tenth of that. The template
// holds nothing of ours (no migration, no row), so every app still migrates an empty cluster as `npm start` does.
const { version } = JSON.parse(
  readFileSync(join(__dirname, '../../node_modules/@electric-sql/pglite/package.json'), 'utf8'),
) as { version: string };
const TEMPLATE = join(tmpdir(), `gatehouse-pgdata-template-${version}`);
const READY = 'gatehouse-template-ready';

let made: Promise<void> | undefined;

/** Makes the template once per machine and PGlite version; concurrent makers race to one rename. */
function makeTemplate(): Promise<void> {
  made ??= (async () => {
    if (existsSync(join(TEMPLATE, READY))) return;
    const building = mkdtempSync(`${TEMPLATE}-building-`);
    const db = new PGlite(building);
    await db.waitReady;
    await db.close();
    writeFileSync(join(building, READY), '');
    try {
      renameSync(building, TEMPLATE);
    } catch {
      // Another process finished first: its template is as good as ours.
      rmSync(building, { recursive: true, force: true });
    }
  })();
  return made;
}

/** Fills `pgdataDir` (which must not exist) with a freshly initialised, empty PGlite cluster. */
export async function copyPgliteTemplate(pgdataDir: string): Promise<void> {
  await makeTemplate();
  cpSync(TEMPLATE, pgdataDir, { recursive: true, filter: (source) => !source.endsWith(READY) });
}
