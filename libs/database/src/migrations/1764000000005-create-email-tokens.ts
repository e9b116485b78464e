import { MigrationInterface, QueryRunner } from 'typeorm';

/** One-time links sent by email (verify, reset, change): stored by hash only, consumed once. */
export class CreateEmailTokens1764000000005 implements MigrationInterface {
  name = 'CreateEmailTokens1764000000005';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE "email_tokens" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "purpose" character varying(32) NOT NULL,
        "token_hash" character(64) NOT NULL,
        "email" character varying(254) NOT NULL,
        "session_id" uuid,
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "consumed_at" TIMESTAMP WITH TIME ZONE,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_email_tokens" PRIMARY KEY ("id"),
        CONSTRAINT "FK_email_tokens_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await db.query(`CREATE UNIQUE INDEX "UQ_email_tokens_hash" ON "email_tokens" ("token_hash")`);
    // Serves "the user's live links of this purpose", which a new link of the same purpose ends.
    await db.query(
      `CREATE INDEX "IDX_email_tokens_user_live" ON "email_tokens" ("user_id", "purpose") WHERE "consumed_at" IS NULL`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "email_tokens"`);
  }
}
