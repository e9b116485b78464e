import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

/** An event's id, or an instant in ISO 8601 (`2026-12-07T10:00:00Z`). */
const CURSOR =
  /^(?:[0-9]{1,18}|\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2}))?)$/;

/** `?limit&before` for a page of history, newest first. */
export class HistoryQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({
    description:
      "Only events older than this: an event's `id` (the last of the previous page) or an ISO 8601 instant",
    example: '1042',
  })
  @IsOptional()
  @Matches(CURSOR, { message: 'before must be an event id or an ISO 8601 instant' })
  before?: string;
}
