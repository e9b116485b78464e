import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A member's role changed, or their membership ended (`role` null), at `changedAt`: kept one access-token
 * lifetime or so, for instances that start, or lost their notifications, to learn which roles tokens may still
 * claim. No foreign keys: the change outlives the organization or the user it was about.
 */
@Entity({ name: 'org_membership_changes' })
export class MembershipChangeRecord {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_org_membership_changes' })
  id: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 32, nullable: true })
  role: string | null;

  @Index('IDX_org_membership_changes_changed_at')
  @Column({ name: 'changed_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  changedAt: Date;
}
