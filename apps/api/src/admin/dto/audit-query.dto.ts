import { HistoryQueryDto } from '@gatehouse/auth';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID, Matches } from 'class-validator';

/** `?userId&type&limit&before`: everyone's history, or one account's, or one kind of event. */
export class AuditQueryDto extends HistoryQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ example: 'login.failed' })
  @IsOptional()
  @Matches(/^[a-z_]{1,32}(?:\.[a-z_]{1,32}){1,2}$/, {
    message: 'type must be an event type such as login.failed',
  })
  type?: string;
}
