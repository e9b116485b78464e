import { User } from '@gatehouse/users';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

/** One wrong second-factor code: counted per user over THROTTLE_MFA_TTL, across challenges and routes. */
@Entity({ name: 'mfa_failures' })
@Index('IDX_mfa_failures_user_time', ['userId', 'failedAt'])
export class MfaFailure {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_mfa_failures' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_mfa_failures_user' })
  user?: User;

  @Column({ name: 'failed_at', type: 'timestamptz', default: () => 'now()' })
  failedAt: Date;
}
