import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Passkeys: each user's WebAuthn user handle (random, never the id or the email), the credentials with their
 * public keys and signature counters, and the challenges the server hands out (single use, five minutes).
 */
export class CreatePasskeys1764000000008 implements MigrationInterface {
  name = 'CreatePasskeys1764000000008';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE "webauthn_users" (
        "user_id" uuid NOT NULL,
        "handle" character varying(64) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_webauthn_users" PRIMARY KEY ("user_id"),
        CONSTRAINT "FK_webauthn_users_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await db.query(`CREATE UNIQUE INDEX "UQ_webauthn_users_handle" ON "webauthn_users" ("handle")`);
    await db.query(`
      CREATE TABLE "passkeys" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "credential_id" character varying(1366) NOT NULL,
        "public_key" bytea NOT NULL,
        "counter" bigint NOT NULL DEFAULT 0,
        "transports" text array NOT NULL DEFAULT '{}',
        "device_type" character varying(16) NOT NULL,
        "backed_up" boolean NOT NULL DEFAULT false,
        "name" character varying(64) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "last_used_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_passkeys" PRIMARY KEY ("id"),
        CONSTRAINT "FK_passkeys_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await db.query(`CREATE UNIQUE INDEX "UQ_passkeys_credential_id" ON "passkeys" ("credential_id")`);
    await db.query(`CREATE INDEX "IDX_passkeys_user" ON "passkeys" ("user_id")`);
    await db.query(`
      CREATE TABLE "webauthn_challenges" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "purpose" character varying(16) NOT NULL,
        "user_id" uuid,
        "challenge" character varying(128) NOT NULL,
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_webauthn_challenges" PRIMARY KEY ("id"),
        CONSTRAINT "FK_webauthn_challenges_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await db.query(
      `CREATE UNIQUE INDEX "UQ_webauthn_challenges_challenge" ON "webauthn_challenges" ("challenge")`,
    );
    await db.query(`CREATE INDEX "IDX_webauthn_challenges_expires" ON "webauthn_challenges" ("expires_at")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "webauthn_challenges"`);
    await db.query(`DROP TABLE "passkeys"`);
    await db.query(`DROP TABLE "webauthn_users"`);
  }
}
