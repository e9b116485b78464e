import { MigrationInterface, QueryRunner } from 'typeorm';

/** The sample organization-owned feature: a project belongs to an organization and goes with it. */
export class CreateProjects1767300000000 implements MigrationInterface {
  name = 'CreateProjects1767300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE "projects" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "organization_id" uuid NOT NULL,
        "name" character varying(100) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_projects" PRIMARY KEY ("id"),
        CONSTRAINT "FK_projects_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE
      )`);
    // Serves the organization's listing, newest first, and the count beside it.
    await db.query(
      `CREATE INDEX "IDX_projects_organization_newest" ON "projects" ("organization_id", "created_at" DESC, "id")`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "projects"`);
  }
}
