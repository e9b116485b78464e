import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Machine credentials: users' API keys (stored as SHA-256 hashes of high-entropy keys, never the keys) and
 * service clients of the OAuth client-credentials grant (a hashed secret; soft-deleted, so every instance can
 * re-read recent deletions and refuse the client's outstanding tokens).
 */
export class CreateMachineCredentials1766000000000 implements MigrationInterface {
  name = 'CreateMachineCredentials1766000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE "api_keys" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "name" character varying(100) NOT NULL,
        "prefix" character varying(16) NOT NULL,
        "key_hash" bytea NOT NULL,
        "scopes" text array NOT NULL DEFAULT '{}',
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE,
        "last_used_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_api_keys" PRIMARY KEY ("id"),
        CONSTRAINT "FK_api_keys_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await db.query(`CREATE UNIQUE INDEX "UQ_api_keys_key_hash" ON "api_keys" ("key_hash")`);
    await db.query(`CREATE INDEX "IDX_api_keys_user" ON "api_keys" ("user_id")`);
    await db.query(`
      CREATE TABLE "service_clients" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "client_id" character varying(64) NOT NULL,
        "name" character varying(100) NOT NULL,
        "secret_hash" bytea NOT NULL,
        "scopes" text array NOT NULL DEFAULT '{}',
        "created_by" uuid,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "deleted_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_service_clients" PRIMARY KEY ("id"),
        CONSTRAINT "FK_service_clients_created_by" FOREIGN KEY ("created_by") REFERENCES "users"("id") ON DELETE SET NULL
      )`);
    await db.query(`CREATE UNIQUE INDEX "UQ_service_clients_client_id" ON "service_clients" ("client_id")`);
    await db.query(`CREATE INDEX "IDX_service_clients_deleted" ON "service_clients" ("deleted_at")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "service_clients"`);
    await db.query(`DROP TABLE "api_keys"`);
  }
}
