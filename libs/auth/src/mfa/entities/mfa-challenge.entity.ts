import { User } from '@gatehouse/users';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { AuthMethod } from '../../tokens/token-types';

/** A first factor passed, a second owed: what an `mfaToken` names (only its hash is stored). */
@Entity({ name: 'mfa_challenges' })
export class MfaChallenge {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_mfa_challenges' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_mfa_challenges_user' })
  user?: User;

  @Index('UQ_mfa_challenges_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash: string;

  /** Wrong codes so far: at five the challenge is dead. */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** How the first factor was proven (`pwd`, `fed`): the session's amr begins with it. */
  @Column({ type: 'text', array: true })
  amr: AuthMethod[];

  /** The user's credentials version when the first factor was checked: a change since voids the challenge. */
  @Column({ name: 'credentials_version', type: 'integer' })
  credentialsVersion: number;

  @Index('IDX_mfa_challenges_expires')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
