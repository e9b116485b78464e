import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in with other providers: the identities a user has at providers (keyed by issuer and subject, never by
 * email), the short-lived login transactions between `start` and `callback`, and users without a password.
 */
export class CreateOAuthIdentities1764000000006 implements MigrationInterface {
  name = 'CreateOAuthIdentities1764000000006';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "users" ALTER COLUMN "password_hash" DROP NOT NULL`);
    await db.query(`
      CREATE TABLE "user_identities" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "provider" character varying(32) NOT NULL,
        "issuer" character varying(512) NOT NULL,
        "subject" character varying(255) NOT NULL,
        "email" character varying(254),
        "email_verified" boolean NOT NULL DEFAULT false,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "last_used_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_user_identities" PRIMARY KEY ("id"),
        CONSTRAINT "FK_user_identities_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await db.query(
      `CREATE UNIQUE INDEX "UQ_user_identities_issuer_subject" ON "user_identities" ("issuer", "subject")`,
    );
    await db.query(`CREATE INDEX "IDX_user_identities_user" ON "user_identities" ("user_id")`);
    await db.query(`
      CREATE TABLE "oauth_transactions" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "provider" character varying(32) NOT NULL,
        "state" character varying(64) NOT NULL,
        "nonce" character varying(64),
        "code_verifier" character varying(128) NOT NULL,
        "return_to" character varying(2048) NOT NULL,
        "link_user_id" uuid,
        "link_session_id" uuid,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "PK_oauth_transactions" PRIMARY KEY ("id"),
        CONSTRAINT "FK_oauth_transactions_link_user" FOREIGN KEY ("link_user_id") REFERENCES "users"("id")
          ON DELETE CASCADE
      )`);
    await db.query(`CREATE INDEX "IDX_oauth_transactions_expires" ON "oauth_transactions" ("expires_at")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "oauth_transactions"`);
    await db.query(`DROP TABLE "user_identities"`);
    // Provider-created users have no password: they cannot survive the NOT NULL, so they go.
    await db.query(`DELETE FROM "users" WHERE "password_hash" IS NULL`);
    await db.query(`ALTER TABLE "users" ALTER COLUMN "password_hash" SET NOT NULL`);
  }
}
