import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A second factor: the authenticator-app secret (encrypted) with the time steps it accepted lately, single-use
 * recovery codes (keyed hashes), the challenges between a password and a code (token hashes), and the wrong
 * codes of the last while, counted per user.
 */
export class CreateSecondFactor1764000000007 implements MigrationInterface {
  name = 'CreateSecondFactor1764000000007';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE "mfa_totp" (
        "user_id" uuid NOT NULL,
        "secret" text NOT NULL,
        "confirmed_at" TIMESTAMP WITH TIME ZONE,
        "used_steps" bigint array NOT NULL DEFAULT '{}',
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_mfa_totp" PRIMARY KEY ("user_id"),
        CONSTRAINT "FK_mfa_totp_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await db.query(`
      CREATE TABLE "mfa_recovery_codes" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "code_hash" character(64) NOT NULL,
        "used_at" TIMESTAMP WITH TIME ZONE,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_mfa_recovery_codes" PRIMARY KEY ("id"),
        CONSTRAINT "FK_mfa_recovery_codes_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await db.query(
      `CREATE UNIQUE INDEX "UQ_mfa_recovery_codes_user_hash" ON "mfa_recovery_codes" ("user_id", "code_hash")`,
    );
    await db.query(`
      CREATE TABLE "mfa_challenges" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "token_hash" character(64) NOT NULL,
        "attempts" integer NOT NULL DEFAULT 0,
        "amr" text array NOT NULL,
        "credentials_version" integer NOT NULL,
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "consumed_at" TIMESTAMP WITH TIME ZONE,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_mfa_challenges" PRIMARY KEY ("id"),
        CONSTRAINT "FK_mfa_challenges_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await db.query(`CREATE UNIQUE INDEX "UQ_mfa_challenges_token_hash" ON "mfa_challenges" ("token_hash")`);
    await db.query(`CREATE INDEX "IDX_mfa_challenges_expires" ON "mfa_challenges" ("expires_at")`);
    await db.query(`
      CREATE TABLE "mfa_failures" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "failed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_mfa_failures" PRIMARY KEY ("id"),
        CONSTRAINT "FK_mfa_failures_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await db.query(`CREATE INDEX "IDX_mfa_failures_user_time" ON "mfa_failures" ("user_id", "failed_at")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "mfa_failures"`);
    await db.query(`DROP TABLE "mfa_challenges"`);
    await db.query(`DROP TABLE "mfa_recovery_codes"`);
    await db.query(`DROP TABLE "mfa_totp"`);
  }
}
