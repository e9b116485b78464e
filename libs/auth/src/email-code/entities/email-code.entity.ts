import { User } from '@gatehouse/users';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

/**
 * The live sign-in code of an address, one per address (a new code replaces the row, so the older one is dead at
 * once). Only its keyed hash is kept. `user_id` is the account the code was sent for, or null when the address
 * had none (sign-up by code); `attempts` counts codes tried against it, right or wrong.
 */
@Entity({ name: 'email_codes' })
export class EmailCode {
  @PrimaryColumn({ type: 'varchar', length: 254, primaryKeyConstraintName: 'PK_email_codes' })
  email: string;

  @Index('IDX_email_codes_user')
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_email_codes_user' })
  user?: User | null;

  @Column({ name: 'code_hash', type: 'bytea' })
  codeHash: Buffer;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Index('IDX_email_codes_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt: Date | null;
}
