import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/** A fresh database on the PostgreSQL server for one part of the run, dropped at the end. */
export class BenchDatabase {
  private constructor(
    private readonly maintenanceUrl: string,
    readonly name: string,
  ) {}

  static async create(maintenanceUrl: string, label: string): Promise<BenchDatabase> {
    const name = `gatehouse_bench_${label}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await adminQuery(maintenanceUrl, `CREATE DATABASE "${name}"`);
    return new BenchDatabase(maintenanceUrl, name);
  }

  get url(): string {
    const url = new URL(this.maintenanceUrl);
    url.pathname = `/${this.name}`;
    return url.toString();
  }

  /** Drops the database once the app's connections have left; a leftover is reported, not fatal. */
  async drop(): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await adminQuery(this.maintenanceUrl, `DROP DATABASE IF EXISTS "${this.name}"`);
        return;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    process.stderr.write(`could not drop bench database ${this.name}: ${String(lastError)}\n`);
  }
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The server's version and the settings that shape a write-heavy benchmark, for the report. */
export async function describeServer(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string; sb: string; sc: string; mc: string }>(
      `SELECT current_setting('server_version') AS v, current_setting('shared_buffers') AS sb,
              current_setting('synchronous_commit') AS sc, current_setting('max_connections') AS mc`,
    );
    const [row] = rows;
    return `PostgreSQL ${row.v} (shared_buffers ${row.sb}, synchronous_commit ${row.sc}, max_connections ${row.mc})`;
  } finally {
    await client.end();
  }
}
