import { User } from '@gatehouse/users';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

/** A challenge handed to a browser for one ceremony: deleted when answered, dead after five minutes. */
@Entity({ name: 'webauthn_challenges' })
export class WebAuthnChallenge {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_webauthn_challenges' })
  id: string;

  /** `register` (for `user_id`) or `login` (anyone: the credential will say who). */
  @Column({ type: 'varchar', length: 16 })
  purpose: string;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_webauthn_challenges_user' })
  user?: User;

  /** base64url, as the browser echoes it in `clientDataJSON`. */
  @Index('UQ_webauthn_challenges_challenge', { unique: true })
  @Column({ type: 'varchar', length: 128 })
  challenge: string;

  @Index('IDX_webauthn_challenges_expires')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
