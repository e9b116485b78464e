import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSessions1764000000001 implements MigrationInterface {
  name = 'CreateSessions1764000000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE "sessions" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "user_agent" character varying(512),
        "ip" character varying(64),
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "last_used_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "revoked_at" TIMESTAMP WITH TIME ZONE,
        "revoked_reason" character varying(32),
        CONSTRAINT "PK_sessions" PRIMARY KEY ("id"),
        CONSTRAINT "FK_sessions_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await db.query(
      `CREATE INDEX "IDX_sessions_user_live" ON "sessions" ("user_id") WHERE "revoked_at" IS NULL`,
    );
    await db.query(
      `CREATE INDEX "IDX_sessions_revoked_at" ON "sessions" ("revoked_at") WHERE "revoked_at" IS NOT NULL`,
    );
    await db.query(`
      CREATE TABLE "refresh_tokens" (
        "id" uuid NOT NULL,
        "session_id" uuid NOT NULL,
        "parent_id" uuid,
        "hash" character(64) NOT NULL,
        "issued_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "rotated_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_refresh_tokens" PRIMARY KEY ("id"),
        CONSTRAINT "FK_refresh_tokens_session" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE
      )`);
    // The rule "one live token per family" is the database's, not only the code's.
    await db.query(
      `CREATE UNIQUE INDEX "UQ_refresh_tokens_live" ON "refresh_tokens" ("session_id") WHERE "rotated_at" IS NULL`,
    );
    await db.query(`CREATE INDEX "IDX_refresh_tokens_session" ON "refresh_tokens" ("session_id")`);
    await db.query(`CREATE INDEX "IDX_refresh_tokens_expires_at" ON "refresh_tokens" ("expires_at")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "refresh_tokens"`);
    await db.query(`DROP TABLE "sessions"`);
  }
}
