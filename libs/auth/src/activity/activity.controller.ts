import { AuditTrail } from '@gatehouse/audit';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiResponseCodes } from '../decorators/api-errors.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { AuthUser } from '../tokens/token-types';
import { AuditEventDto, AuditEventPageDto } from './dto/audit-event.dto';
import { HistoryQueryDto } from './dto/history-query.dto';

/** The caller's own history: sign-ins, changes, revocations, refusals; never anyone else's. */
@ApiTags('auth')
@ApiBearerAuth()
@Controller('auth/activity')
export class ActivityController {
  constructor(private readonly trail: AuditTrail) {}

  @Get()
  @ApiOkResponse({ type: AuditEventPageDto })
  @ApiResponseCodes(400, 401)
  @ApiOperation({ summary: "The caller's account history, newest first" })
  async list(@CurrentUser() user: AuthUser, @Query() query: HistoryQueryDto): Promise<AuditEventPageDto> {
    const records = await this.trail.page({ userId: user.id, limit: query.limit, before: query.before });
    return { items: records.map((record) => AuditEventDto.from(record)) };
  }
}
