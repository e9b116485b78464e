import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The active organization a session has chosen (its access tokens carry it); API keys made in an organization
 * (they act within it, and go with it); and the log of changes to memberships that instances replay to refuse
 * access tokens whose role in an organization is no longer true.
 */
export class ActiveOrganizations1767100000000 implements MigrationInterface {
  name = 'ActiveOrganizations1767100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "sessions" ADD "organization_id" uuid`);
    await db.query(`
      ALTER TABLE "sessions" ADD CONSTRAINT "FK_sessions_organization"
        FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE SET NULL`);
    await db.query(`CREATE INDEX "IDX_sessions_organization" ON "sessions" ("organization_id")`);
    await db.query(`ALTER TABLE "api_keys" ADD "organization_id" uuid`);
    await db.query(`
      ALTER TABLE "api_keys" ADD CONSTRAINT "FK_api_keys_organization"
        FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE`);
    await db.query(`CREATE INDEX "IDX_api_keys_organization" ON "api_keys" ("organization_id")`);
    await db.query(`
      CREATE TABLE "org_membership_changes" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "organization_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "role" character varying(32),
        "changed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT "PK_org_membership_changes" PRIMARY KEY ("id")
      )`);
    await db.query(
      `CREATE INDEX "IDX_org_membership_changes_changed_at" ON "org_membership_changes" ("changed_at")`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "org_membership_changes"`);
    await db.query(`DROP INDEX "IDX_api_keys_organization"`);
    await db.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "FK_api_keys_organization"`);
    await db.query(`ALTER TABLE "api_keys" DROP COLUMN "organization_id"`);
    await db.query(`DROP INDEX "IDX_sessions_organization"`);
    await db.query(`ALTER TABLE "sessions" DROP CONSTRAINT "FK_sessions_organization"`);
    await db.query(`ALTER TABLE "sessions" DROP COLUMN "organization_id"`);
  }
}
