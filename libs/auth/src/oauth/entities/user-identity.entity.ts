import { User } from '@gatehouse/users';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

/** A user's account at a provider: the provider's `(issuer, subject)`, never its email, says who it is. */
@Entity({ name: 'user_identities' })
@Index('UQ_user_identities_issuer_subject', ['issuer', 'subject'], { unique: true })
export class UserIdentity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_user_identities' })
  id: string;

  @Index('IDX_user_identities_user')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_user_identities_user' })
  user?: User;

  /** The configured provider id (`OAUTH_PROVIDERS`) it was signed in with. */
  @Column({ type: 'varchar', length: 32 })
  provider: string;

  @Column({ type: 'varchar', length: 512 })
  issuer: string;

  @Column({ type: 'varchar', length: 255 })
  subject: string;

  /** What the provider last said the address is: shown on the account page, never used to decide who signs in. */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  @Column({ name: 'email_verified', type: 'boolean', default: false })
  emailVerified: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', default: () => 'now()' })
  lastUsedAt: Date;
}
