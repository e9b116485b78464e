import { User } from '@gatehouse/users';
import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';

/** A user's authenticator app: pending until a first code confirms it. */
@Entity({ name: 'mfa_totp' })
export class TotpFactor {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'PK_mfa_totp' })
  userId: string;

  @OneToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_mfa_totp_user' })
  user?: User;

  /** The base32 secret, encrypted with MFA_ENCRYPTION_KEY (AES-256-GCM, bound to the user id). */
  @Column({ type: 'text' })
  secret: string;

  @Column({ name: 'confirmed_at', type: 'timestamptz', nullable: true })
  confirmedAt: Date | null;

  /** The 30-second steps whose codes were accepted, within the window still open: none is accepted twice. */
  @Column({ name: 'used_steps', type: 'bigint', array: true, default: () => "'{}'" })
  usedSteps: string[];

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
