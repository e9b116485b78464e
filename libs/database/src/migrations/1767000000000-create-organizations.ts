import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Organizations and their members. A member's role is a name the application's role registry knows (owner, admin,
 * member, and whatever an application adds), so the database does not list them.
 */
export class CreateOrganizations1767000000000 implements MigrationInterface {
  name = 'CreateOrganizations1767000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE "organizations" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" character varying(100) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_organizations" PRIMARY KEY ("id")
      )`);
    await db.query(`
      CREATE TABLE "org_memberships" (
        "organization_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "role" character varying(32) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_org_memberships" PRIMARY KEY ("organization_id", "user_id"),
        CONSTRAINT "FK_org_memberships_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE,
        CONSTRAINT "FK_org_memberships_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await db.query(`CREATE INDEX "IDX_org_memberships_user" ON "org_memberships" ("user_id")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "org_memberships"`);
    await db.query(`DROP TABLE "organizations"`);
  }
}
