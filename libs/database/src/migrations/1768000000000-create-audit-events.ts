import { MigrationInterface, QueryRunner } from 'typeorm';

/** The account history: security events, appended in the transaction of the change each records. */
export class CreateAuditEvents1768000000000 implements MigrationInterface {
  name = 'CreateAuditEvents1768000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE "audit_events" (
        "id" BIGSERIAL NOT NULL,
        "user_id" uuid,
        "type" character varying(64) NOT NULL,
        "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "ip" character varying(64),
        "user_agent" character varying(512),
        "details" jsonb NOT NULL DEFAULT '{}',
        CONSTRAINT "PK_audit_events" PRIMARY KEY ("id")
      )`);
    // A user's history, newest first, a page at a time: an index range scan whatever the table's size.
    await db.query(`CREATE INDEX "IDX_audit_events_user_newest" ON "audit_events" ("user_id", "id")`);
    await db.query(`CREATE INDEX "IDX_audit_events_type_newest" ON "audit_events" ("type", "id")`);
    // Retention deletes the oldest.
    await db.query(`CREATE INDEX "IDX_audit_events_at" ON "audit_events" ("at")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "audit_events"`);
  }
}
