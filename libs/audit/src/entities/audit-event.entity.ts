import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One security event, as the account's history shows it: appended, never updated, except that a deleted
 * account's entries keep only their user id and type. No foreign key: the history outlives the account.
 */
@Entity({ name: 'audit_events' })
@Index('IDX_audit_events_user_newest', ['userId', 'id'])
@Index('IDX_audit_events_type_newest', ['type', 'id'])
export class AuditEvent {
  /** Increasing in the order the events were stored: the order of the history and its page cursor. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'PK_audit_events' })
  id: string;

  /** The account the event is about; null when none is known (a failed sign-in of an unknown address). */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Index('IDX_audit_events_at')
  @Column({ type: 'timestamptz', default: () => 'now()' })
  at: Date;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  /** Ids and reasons (a session, a provider, why a sign-in failed): never a password, a token or a secret. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  details: Record<string, unknown>;
}
