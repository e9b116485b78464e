/** The databases every end-to-end suite runs against: the embedded default, and a PostgreSQL server when given. */
export type DatabaseKind = 'pglite' | 'postgres';

export const serverUrl = process.env.TEST_DATABASE_URL?.trim() || undefined;

/** A Redis server for the shared rate-limit suites (`.ci/run` starts one). */
export const redisUrl = process.env.TEST_REDIS_URL?.trim() || undefined;

export const databaseKinds: DatabaseKind[] = serverUrl ? ['pglite', 'postgres'] : ['pglite'];

let warned = false;

/** Runs a suite once per database; says in one line when the PostgreSQL server run is missing. */
export function describeEachDatabase(title: string, suite: (kind: DatabaseKind) => void): void {
  if (!serverUrl && !warned) {
    warned = true;
    process.stderr.write(
      'TEST_DATABASE_URL is not set: end-to-end suites run on PGlite only, not on a PostgreSQL server\n',
    );
  }
  for (const kind of databaseKinds) {
    describe(`${title} [${kind === 'pglite' ? 'PGlite' : 'PostgreSQL'}]`, () => suite(kind));
  }
}
