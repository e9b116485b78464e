import { AuditRecord } from '@gatehouse/audit';
import { ApiProperty } from '@nestjs/swagger';

export class AuditEventDto {
  @ApiProperty({
    example: '1042',
    description: 'Increasing with time: pass the last one as `before` for the next page',
  })
  id: string;

  @ApiProperty({ example: 'login.succeeded' })
  type: string;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip: string | null;

  @ApiProperty({ type: String, nullable: true })
  userAgent: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Ids and reasons (a session, a provider, why a sign-in failed); never a secret',
  })
  details: Record<string, unknown>;

  static from(record: AuditRecord): AuditEventDto {
    const { id, type, at, ip, userAgent, details } = record;
    return { id, type, at, ip, userAgent, details };
  }
}

export class AuditEventPageDto {
  @ApiProperty({ type: [AuditEventDto], description: 'Newest first' })
  items: AuditEventDto[];
}

/** An event as an administrator sees it: with the account it is about. */
export class AdminAuditEventDto extends AuditEventDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  userId: string | null;

  static override from(record: AuditRecord): AdminAuditEventDto {
    return { ...AuditEventDto.from(record), userId: record.userId };
  }
}

export class AdminAuditEventPageDto {
  @ApiProperty({ type: [AdminAuditEventDto], description: 'Newest first' })
  items: AdminAuditEventDto[];
}
