import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What deleting an account needs beyond the foreign keys: revocations that outlive the deleted sessions (an
 * instance that starts later must still refuse their access tokens), and a farewell mail that leaves no address.
 */
export class AccountDeletion1768300000000 implements MigrationInterface {
  name = 'AccountDeletion1768300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE "revoked_sessions" (
        "session_id" uuid NOT NULL,
        "revoked_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "PK_revoked_sessions" PRIMARY KEY ("session_id")
      )`);
    await db.query(`CREATE INDEX "IDX_revoked_sessions_revoked_at" ON "revoked_sessions" ("revoked_at")`);
    await db.query(`ALTER TABLE "mail_outbox" ADD "forget_recipient" boolean NOT NULL DEFAULT false`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "mail_outbox" DROP COLUMN "forget_recipient"`);
    await db.query(`DROP TABLE "revoked_sessions"`);
  }
}
