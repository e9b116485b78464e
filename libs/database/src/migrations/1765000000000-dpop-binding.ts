import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sender-constrained sessions (RFC 9449): the thumbprint of the key a session is bound to, whether a session
 * begun through a provider may still be bound at its first refresh that carries a proof, and the thumbprint a
 * provider flow was started with.
 */
export class DpopBinding1765000000000 implements MigrationInterface {
  name = 'DpopBinding1765000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE "sessions"
        ADD COLUMN "dpop_jkt" character varying(64),
        ADD COLUMN "dpop_bindable" boolean NOT NULL DEFAULT false`);
    await db.query(`ALTER TABLE "oauth_transactions" ADD COLUMN "dpop_jkt" character varying(64)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "oauth_transactions" DROP COLUMN "dpop_jkt"`);
    await db.query(`ALTER TABLE "sessions" DROP COLUMN "dpop_bindable", DROP COLUMN "dpop_jkt"`);
  }
}
