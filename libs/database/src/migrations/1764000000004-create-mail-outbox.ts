import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The mail outbox: a message is inserted in the same transaction as the change that needs it and delivered
 * afterwards by a sender on any instance. Subject and bodies are wiped once the message is sent or given up.
 */
export class CreateMailOutbox1764000000004 implements MigrationInterface {
  name = 'CreateMailOutbox1764000000004';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE "mail_outbox" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "to" character varying(320) NOT NULL,
        "subject" character varying(500) NOT NULL,
        "text" text NOT NULL,
        "html" text,
        "purpose" character varying(64) NOT NULL,
        "attempts" integer NOT NULL DEFAULT 0,
        "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE,
        "sent_at" TIMESTAMP WITH TIME ZONE,
        "given_up_at" TIMESTAMP WITH TIME ZONE,
        "last_error" character varying(200),
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_mail_outbox" PRIMARY KEY ("id")
      )`);
    // Serves the sender's "what is due" claim; delivered and given-up rows drop out of it.
    await db.query(`
      CREATE INDEX "IDX_mail_outbox_due" ON "mail_outbox" ("next_attempt_at")
        WHERE "sent_at" IS NULL AND "given_up_at" IS NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "mail_outbox"`);
  }
}
