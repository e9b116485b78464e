import { ApiProperty } from '@nestjs/swagger';
import { Session } from '../tokens/entities/session.entity';

/** A live session (login) of the caller: what a "devices" page shows. */
export class SessionDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  lastUsedAt: Date;

  @ApiProperty({ type: String, format: 'date-time', description: 'When it ends unless refreshed before' })
  expiresAt: Date;

  @ApiProperty({ type: String, nullable: true })
  userAgent: string | null;

  @ApiProperty({ type: String, nullable: true })
  ip: string | null;

  @ApiProperty({ description: 'True for the session of the access token making this request' })
  current: boolean;

  static from(session: Session, currentSessionId: string): SessionDto {
    return {
      id: session.id,
      createdAt: session.createdAt,
      lastUsedAt: session.lastUsedAt,
      expiresAt: session.expiresAt,
      userAgent: session.userAgent,
      ip: session.ip,
      current: session.id === currentSessionId,
    };
  }
}
