import { DataSource } from 'typeorm';
import { entities as cliEntities } from '../ormconfig';
import { describeEachDatabase } from './support/databases';
import { TestApp } from './support/test-app';

describeEachDatabase('the schema', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind);
  });
  afterAll(async () => {
    await app.stop();
  });

  it('is exactly what the entities describe once the migrations have run', async () => {
    const pending = await app.app.get(DataSource).driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('is seen whole by the TypeORM CLI: ormconfig.ts lists every entity the app registers', () => {
    const registered = app.app.get(DataSource).entityMetadatas.map((metadata) => metadata.name);
    expect(cliEntities.map((entity) => entity.name).sort()).toEqual([...registered].sort());
  });

  it('allows one live refresh token per family, enforced by the database itself', async () => {
    const [user] = await app.query<{ id: string }>(
      `INSERT INTO users (email, password_hash) VALUES ('index@example.com', 'x') RETURNING id`,
    );
    const [session] = await app.query<{ id: string }>(
      `INSERT INTO sessions (user_id, expires_at) VALUES ($1, now() + interval '1 day') RETURNING id`,
      [user.id],
    );
    const insertLive = () =>
      app.query(
        `INSERT INTO refresh_tokens (id, session_id, hash, issued_at, expires_at)
         VALUES (gen_random_uuid(), $1, repeat('a', 64), now(), now() + interval '1 day')`,
        [session.id],
      );
    await insertLive();
    await expect(insertLive()).rejects.toThrow(/unique|duplicate/i);
  });
});
