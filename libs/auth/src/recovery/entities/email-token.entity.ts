import { User } from '@gatehouse/users';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

/** What a one-time email link is for; a link of one purpose is refused by every other. */
export type EmailTokenPurpose = 'verify_email' | 'password_reset' | 'email_change';

/** A one-time link sent by email: only the SHA-256 of its token is stored. */
@Entity({ name: 'email_tokens' })
@Index('IDX_email_tokens_user_live', ['userId', 'purpose'], { where: '"consumed_at" IS NULL' })
export class EmailToken {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_email_tokens' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_email_tokens_user' })
  user?: User;

  @Column({ type: 'varchar', length: 32 })
  purpose: EmailTokenPurpose;

  @Index('UQ_email_tokens_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash: string;

  /** The address the link was sent to: a verification holds for it only, a change moves the user to it. */
  @Column({ type: 'varchar', length: 254 })
  email: string;

  /** For an email change: the session that asked for it, which survives the change when it is confirmed. */
  @Column({ name: 'session_id', type: 'uuid', nullable: true })
  sessionId: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
