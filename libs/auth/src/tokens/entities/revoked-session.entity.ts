import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A revocation that outlives its session row: a deleted account's sessions go with it, but their access tokens
 * must stay refused on every instance, one started later included, until they expire. Holds no user id.
 */
@Entity({ name: 'revoked_sessions' })
export class RevokedSession {
  @PrimaryColumn({ name: 'session_id', type: 'uuid', primaryKeyConstraintName: 'PK_revoked_sessions' })
  sessionId: string;

  @Index('IDX_revoked_sessions_revoked_at')
  @Column({ name: 'revoked_at', type: 'timestamptz' })
  revokedAt: Date;
}
