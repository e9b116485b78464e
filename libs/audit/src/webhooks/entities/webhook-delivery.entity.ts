import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { WebhookEndpoint } from './webhook-endpoint.entity';

/**
 * One event for one endpoint, delivered through the same durable machinery as mail: claimed under a lease by one
 * instance, retried with backoff, its payload wiped once delivered or given up.
 */
@Entity({ name: 'webhook_deliveries' })
@Index('IDX_webhook_deliveries_due', ['nextAttemptAt'], {
  where: '"delivered_at" IS NULL AND "given_up_at" IS NULL',
})
export class WebhookDelivery {
  /** The `webhook-id` the receiver deduplicates by: the same on every retry. */
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_webhook_deliveries' })
  id: string;

  @Index('IDX_webhook_deliveries_endpoint')
  @Column({ name: 'endpoint_id', type: 'uuid' })
  endpointId: string;

  /** Deleting an endpoint drops what it had still to receive. */
  @ManyToOne(() => WebhookEndpoint, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'endpoint_id', foreignKeyConstraintName: 'FK_webhook_deliveries_endpoint' })
  endpoint?: WebhookEndpoint;

  @Column({ type: 'varchar', length: 64 })
  event: string;

  /** The JSON body, exactly as signed and sent; emptied once done with. */
  @Column({ type: 'text' })
  payload: string;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  @Column({ name: 'given_up_at', type: 'timestamptz', nullable: true })
  givenUpAt: Date | null;

  /** Why the last attempt failed (a status code or a network error), never the response body. */
  @Column({ name: 'last_error', type: 'varchar', length: 200, nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
