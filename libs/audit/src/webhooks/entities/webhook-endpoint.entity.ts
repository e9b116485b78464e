import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A receiver of webhooks: where, which events, and the secret its deliveries are signed with. */
@Entity({ name: 'webhook_endpoints' })
export class WebhookEndpoint {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_webhook_endpoints' })
  id: string;

  @Column({ type: 'varchar', length: 2048 })
  url: string;

  @Column({ type: 'varchar', length: 64, array: true })
  events: string[];

  /** `whsec_` and 32 random bytes in base64 (Standard Webhooks); shown once, when the endpoint is made. */
  @Column({ type: 'varchar', length: 100 })
  secret: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
