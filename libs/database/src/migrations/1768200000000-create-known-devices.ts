import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The browsers and devices each account has signed in from, by the SHA-256 of the device cookie or of the user
 * agent and network: a sign-in from one unseen for 90 days is told to the account's owner.
 */
export class CreateKnownDevices1768200000000 implements MigrationInterface {
  name = 'CreateKnownDevices1768200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE "known_devices" (
        "user_id" uuid NOT NULL,
        "key_hash" bytea NOT NULL,
        "kind" character varying(8) NOT NULL,
        "first_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_known_devices" PRIMARY KEY ("user_id", "key_hash"),
        CONSTRAINT "FK_known_devices_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    // The clean-up drops devices unseen for 90 days, oldest first.
    await db.query(`CREATE INDEX "IDX_known_devices_last_seen" ON "known_devices" ("last_seen_at")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "known_devices"`);
  }
}
