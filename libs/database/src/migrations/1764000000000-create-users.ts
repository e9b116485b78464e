import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateUsers1764000000000 implements MigrationInterface {
  name = 'CreateUsers1764000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE "users" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "email" character varying(254) NOT NULL,
        "password_hash" character varying(255) NOT NULL,
        "display_name" character varying(100),
        "roles" text array NOT NULL DEFAULT '{user}',
        "disabled_at" TIMESTAMP WITH TIME ZONE,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_users" PRIMARY KEY ("id")
      )`);
    // Emails are stored normalised (trimmed, NFKC, lower-cased), so a plain unique index is case-insensitive.
    await db.query(`CREATE UNIQUE INDEX "UQ_users_email" ON "users" ("email")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "users"`);
  }
}
