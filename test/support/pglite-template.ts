import { PGlite } from '@electric-sql/pglite';
import { loadConfig } from '@gatehouse/config';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createApp } from '../../apps/api/src/app.factory';
import { MADE_MARK, madeOnce } from './made-once';

// PGlite's initdb takes about 5 s of a test app's start, and running every migration on the cluster about 1 s
// more; copying a cluster that has had both takes a tenth of that. The template is made by the app's own start
// on an empty cluster (so it is exactly what `npm start` makes of one), once per machine, PGlite version and set
// of migrations: a changed or added migration makes a new one. It holds the schema and nothing else.
const { version } = JSON.parse(
  readFileSync(join(__dirname, '../../node_modules/@electric-sql/pglite/package.json'), 'utf8'),
) as { version: string };
const MIGRATIONS = join(__dirname, '../../libs/database/src/migrations');

/** A digest of every migration's name and text: the template's schema. */
function migrationsDigest(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(MIGRATIONS).sort()) {
    hash
      .update(name)
      .update('\0')
      .update(readFileSync(join(MIGRATIONS, name)))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

const EMPTY = join(tmpdir(), `gatehouse-pglite-template-${version}`);
const MIGRATED = join(tmpdir(), `gatehouse-pglite-migrated-${version}-${migrationsDigest()}`);

let empty: Promise<string> | undefined;
let migrated: Promise<string> | undefined;

/** A freshly initialised, empty cluster, once per machine and PGlite version. */
function emptyCluster(): Promise<string> {
  empty ??= madeOnce(EMPTY, async (building) => {
    const db = new PGlite(building);
    await db.waitReady;
    await db.close();
  });
  return empty;
}

/** The empty cluster after the app's start has migrated it, once per machine, version and set of migrations. */
function migratedCluster(): Promise<string> {
  migrated ??= madeOnce(MIGRATED, async (building) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-pglite-migrating-'));
    try {
      cpSync(await emptyCluster(), join(dataDir, 'pgdata'), {
        recursive: true,
        filter: (source) => !source.endsWith(MADE_MARK),
      });
      const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
      const app = await createApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'error', DATA_DIR: dataDir }), {
        logDestination: silent,
      });
      await app.close();
      cpSync(join(dataDir, 'pgdata'), building, { recursive: true });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
  return migrated;
}

/** Fills `pgdataDir` (which must not exist) with a PGlite cluster migrated to the current schema, with no rows. */
export async function copyPgliteTemplate(pgdataDir: string): Promise<void> {
  cpSync(await migratedCluster(), pgdataDir, {
    recursive: true,
    filter: (source) => !source.endsWith(MADE_MARK),
  });
}
