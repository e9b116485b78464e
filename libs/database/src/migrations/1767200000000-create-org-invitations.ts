import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Invitations to organizations: a pending one per address and organization, its token stored by hash only; used,
 * declined, revoked and replaced invitations are deleted.
 */
export class CreateOrgInvitations1767200000000 implements MigrationInterface {
  name = 'CreateOrgInvitations1767200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE "org_invitations" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "organization_id" uuid NOT NULL,
        "email" character varying(254) NOT NULL,
        "role" character varying(32) NOT NULL,
        "token_hash" character(64) NOT NULL,
        "invited_by" uuid,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "PK_org_invitations" PRIMARY KEY ("id"),
        CONSTRAINT "FK_org_invitations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE,
        CONSTRAINT "FK_org_invitations_inviter" FOREIGN KEY ("invited_by") REFERENCES "users"("id") ON DELETE SET NULL
      )`);
    await db.query(`CREATE UNIQUE INDEX "UQ_org_invitations_token_hash" ON "org_invitations" ("token_hash")`);
    // One pending invitation per address and organization; it also serves the organization's list.
    await db.query(
      `CREATE UNIQUE INDEX "UQ_org_invitations_address" ON "org_invitations" ("organization_id", "email")`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "org_invitations"`);
  }
}
