import { User } from '@gatehouse/users';
import { Column, Entity, Index, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';

/**
 * The user handle a user's passkeys carry (WebAuthn's `user.id`): random, so an authenticator never holds the
 * account's id or email; one per user, so a new passkey for the same site replaces the old one on the device.
 */
@Entity({ name: 'webauthn_users' })
export class WebAuthnUser {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'PK_webauthn_users' })
  userId: string;

  @OneToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_webauthn_users_user' })
  user?: User;

  /** base64url of 32 random bytes. */
  @Index('UQ_webauthn_users_handle', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  handle: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
