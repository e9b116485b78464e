import { MigrationInterface, QueryRunner } from 'typeorm';

/** Sign-in codes sent by email: one live code per address, kept as a keyed hash with its count of tries. */
export class CreateEmailCodes1768400000000 implements MigrationInterface {
  name = 'CreateEmailCodes1768400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE "email_codes" (
        "email" character varying(254) NOT NULL,
        "user_id" uuid,
        "code_hash" bytea NOT NULL,
        "attempts" integer NOT NULL DEFAULT 0,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "consumed_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_email_codes" PRIMARY KEY ("email"),
        CONSTRAINT "FK_email_codes_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await db.query(`CREATE INDEX "IDX_email_codes_user" ON "email_codes" ("user_id")`);
    await db.query(`CREATE INDEX "IDX_email_codes_expires_at" ON "email_codes" ("expires_at")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "email_codes"`);
  }
}
