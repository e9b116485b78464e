import { User } from '@gatehouse/users';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A service that signs in with the OAuth client-credentials grant: its public `client_id`, the SHA-256 of its
 * secret, and the scopes it may ask for. Deleting one only marks it, so every instance can re-read recent
 * deletions and refuse the tokens it was issued until they expire.
 */
@Entity({ name: 'service_clients' })
export class ServiceClient {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_service_clients' })
  id: string;

  @Index('UQ_service_clients_client_id', { unique: true })
  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'secret_hash', type: 'bytea' })
  secretHash: Buffer;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  scopes: string[];

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'created_by', foreignKeyConstraintName: 'FK_service_clients_created_by' })
  creator?: User;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Index('IDX_service_clients_deleted')
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
