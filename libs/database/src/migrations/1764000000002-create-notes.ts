import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateNotes1764000000002 implements MigrationInterface {
  name = 'CreateNotes1764000000002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE "notes" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "owner_id" uuid NOT NULL,
        "title" character varying(200) NOT NULL,
        "body" text NOT NULL DEFAULT '',
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_notes" PRIMARY KEY ("id"),
        CONSTRAINT "FK_notes_owner" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    // Serves the owner's listing, newest first, and the count beside it.
    await db.query(`CREATE INDEX "IDX_notes_owner_newest" ON "notes" ("owner_id", "created_at" DESC, "id")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "notes"`);
  }
}
