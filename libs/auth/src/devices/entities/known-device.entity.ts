import { User } from '@gatehouse/users';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

/** How a device is known: the browser's device cookie, or (a client without cookies) its user agent and network. */
export type DeviceKeyKind = 'cookie' | 'agent';

/**
 * A browser or device that signed in to an account, by the SHA-256 of what identifies it (never the cookie
 * itself). One unseen for 90 days is new again, and purged.
 */
@Entity({ name: 'known_devices' })
export class KnownDevice {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'PK_known_devices' })
  userId: string;

  @PrimaryColumn({ name: 'key_hash', type: 'bytea', primaryKeyConstraintName: 'PK_known_devices' })
  keyHash: Buffer;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_known_devices_user' })
  user?: User;

  @Column({ type: 'varchar', length: 8 })
  kind: DeviceKeyKind;

  @Column({ name: 'first_seen_at', type: 'timestamptz', default: () => 'now()' })
  firstSeenAt: Date;

  @Index('IDX_known_devices_last_seen')
  @Column({ name: 'last_seen_at', type: 'timestamptz', default: () => 'now()' })
  lastSeenAt: Date;
}
