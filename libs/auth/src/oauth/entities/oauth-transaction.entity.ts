import { User } from '@gatehouse/users';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

/**
 * What `start` must remember for its `callback`: stored in the database so that any instance can finish what
 * another began, named by a cookie in the browser that began it, and consumed once.
 */
@Entity({ name: 'oauth_transactions' })
export class OAuthTransaction {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_oauth_transactions' })
  id: string;

  @Column({ type: 'varchar', length: 32 })
  provider: string;

  @Column({ type: 'varchar', length: 64 })
  state: string;

  /** OpenID Connect only: GitHub issues no id_token to carry it. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  nonce: string | null;

  @Column({ name: 'code_verifier', type: 'varchar', length: 128 })
  codeVerifier: string;

  /** A path on APP_URL, already checked. */
  @Column({ name: 'return_to', type: 'varchar', length: 2048 })
  returnTo: string;

  /** The thumbprint of the key the session is to be bound to (RFC 9449 §10, `dpop_jkt` at start). */
  @Column({ name: 'dpop_jkt', type: 'varchar', length: 64, nullable: true })
  dpopJkt: string | null;

  /** Set by a link flow: the user the identity is attached to, and the session that asked. */
  @Column({ name: 'link_user_id', type: 'uuid', nullable: true })
  linkUserId: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'link_user_id', foreignKeyConstraintName: 'FK_oauth_transactions_link_user' })
  linkUser?: User;

  @Column({ name: 'link_session_id', type: 'uuid', nullable: true })
  linkSessionId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Index('IDX_oauth_transactions_expires')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
