import { User } from '@gatehouse/users';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Organization } from '../../entities/organization.entity';

/**
 * An invitation to join an organization with a role, sent to an address: only the SHA-256 of its token is kept.
 * A row is a pending invitation; accepting, declining, revoking or replacing it deletes it. One per address and
 * organization: inviting the address again replaces it.
 */
@Entity({ name: 'org_invitations' })
@Index('UQ_org_invitations_address', ['organizationId', 'email'], { unique: true })
export class OrgInvitation {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_org_invitations' })
  id: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id', foreignKeyConstraintName: 'FK_org_invitations_organization' })
  organization?: Organization;

  /** The invited address, normalised as the users' are: only the account with it, verified, may accept. */
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column({ type: 'varchar', length: 32 })
  role: string;

  @Index('UQ_org_invitations_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash: string;

  /** Who sent it; null once their account is gone (the invitation is the organization's, not theirs). */
  @Column({ name: 'invited_by', type: 'uuid', nullable: true })
  invitedBy: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'invited_by', foreignKeyConstraintName: 'FK_org_invitations_inviter' })
  inviter?: User;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
