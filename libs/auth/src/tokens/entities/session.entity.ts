import { User } from '@gatehouse/users';
import { AuthMethod } from '../token-types';
import { Organization } from '@gatehouse/orgs';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

export type RevocationReason =
  | 'logout'
  | 'logout_all'
  | 'session_deleted'
  | 'password_changed'
  | 'password_reset'
  | 'email_changed'
  | 'account_disabled'
  | 'account_deleted'
  | 'mfa_enabled'
  | 'mfa_disabled'
  | 'passkey_removed'
  | 'identity_unlinked'
  | 'reuse_detected';

/** A login: one refresh-token family. Its id is the `sid` claim of every token of the family. */
@Entity({ name: 'sessions' })
@Index('IDX_sessions_user_live', ['userId'], { where: '"revoked_at" IS NULL' })
@Index('IDX_sessions_revoked_at', ['revokedAt'], { where: '"revoked_at" IS NOT NULL' })
export class Session {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_sessions' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_sessions_user' })
  user?: User;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', default: () => 'now()' })
  lastUsedAt: Date;

  /** When the live refresh token expires: the session ends then unless it is refreshed. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true })
  revokedReason: RevocationReason | null;

  /** The user's credentials version when the session began; a refresh under any other version fails. */
  @Column({ name: 'credentials_version', type: 'integer', default: 0 })
  credentialsVersion: number;

  /** How the sign-in was proven (RFC 8176 values); a refresh never changes it. */
  @Column({ type: 'text', array: true, default: () => "'{pwd}'" })
  amr: AuthMethod[];

  /** When the sign-in was proven; a refresh never advances it. */
  @Column({ name: 'auth_time', type: 'timestamptz', default: () => 'now()' })
  authTime: Date;

  /** The JWK thumbprint (RFC 7638) of the key the session is bound to (DPoP); null for a bearer session. */
  @Column({ name: 'dpop_jkt', type: 'varchar', length: 64, nullable: true })
  dpopJkt: string | null;

  /** A provider sign-in without a key: its first refresh that carries a proof binds it. */
  @Column({ name: 'dpop_bindable', type: 'boolean', default: false })
  dpopBindable: boolean;

  /** The active organization the session chose at a refresh; every refresh re-reads the membership behind it. */
  @Index('IDX_sessions_organization')
  @Column({ name: 'organization_id', type: 'uuid', nullable: true })
  organizationId: string | null;

  @ManyToOne(() => Organization, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'organization_id', foreignKeyConstraintName: 'FK_sessions_organization' })
  organization?: Organization;
}
