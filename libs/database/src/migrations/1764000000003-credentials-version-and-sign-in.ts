import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A per-user credentials version, bumped by every change that must end the sessions started before it
 * (password change or reset, disable, email change, second-factor change); the version a session was started
 * under; how that sign-in was proven; and whether the email address is verified.
 */
export class CredentialsVersionAndSignIn1764000000003 implements MigrationInterface {
  name = 'CredentialsVersionAndSignIn1764000000003';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE "users"
        ADD COLUMN "credentials_version" integer NOT NULL DEFAULT 0,
        ADD COLUMN "email_verified_at" TIMESTAMP WITH TIME ZONE`);
    await db.query(`
      ALTER TABLE "sessions"
        ADD COLUMN "credentials_version" integer NOT NULL DEFAULT 0,
        ADD COLUMN "amr" text array NOT NULL DEFAULT '{pwd}',
        ADD COLUMN "auth_time" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`);
    // Sessions from before this migration were password logins at their start.
    await db.query(`UPDATE "sessions" SET "auth_time" = "created_at"`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE "sessions" DROP COLUMN "auth_time", DROP COLUMN "amr", DROP COLUMN "credentials_version"`,
    );
    await db.query(`ALTER TABLE "users" DROP COLUMN "email_verified_at", DROP COLUMN "credentials_version"`);
  }
}
