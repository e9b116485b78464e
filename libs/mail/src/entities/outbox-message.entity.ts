import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One message waiting for delivery, or the record of one delivered or given up (its subject and bodies wiped). */
@Entity({ name: 'mail_outbox' })
@Index('IDX_mail_outbox_due', ['nextAttemptAt'], { where: '"sent_at" IS NULL AND "given_up_at" IS NULL' })
export class OutboxMessage {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_mail_outbox' })
  id: string;

  @Column({ type: 'varchar', length: 320 })
  to: string;

  @Column({ type: 'varchar', length: 500 })
  subject: string;

  @Column({ type: 'text' })
  text: string;

  @Column({ type: 'text', nullable: true })
  html: string | null;

  @Column({ type: 'varchar', length: 64 })
  purpose: string;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** When the next attempt may start; while one is under way, the end of its lease. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt: Date;

  /** When the token in the message expires: the message is pointless after it. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt: Date | null;

  @Column({ name: 'given_up_at', type: 'timestamptz', nullable: true })
  givenUpAt: Date | null;

  /** Why the last attempt failed, in a few words (an SMTP code or a network error), never the message. */
  @Column({ name: 'last_error', type: 'varchar', length: 200, nullable: true })
  lastError: string | null;

  /** The address is wiped with the bodies once done (a farewell to a deleted account leaves no address behind). */
  @Column({ name: 'forget_recipient', type: 'boolean', default: false })
  forgetRecipient: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
