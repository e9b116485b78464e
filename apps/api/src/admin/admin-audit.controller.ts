import { AuditTrail } from '@gatehouse/audit';
import { AdminAuditEventDto, AdminAuditEventPageDto, ApiResponseCodes, Roles } from '@gatehouse/auth';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditQueryDto } from './dto/audit-query.dto';

/** Every account's history, for administrators: the same events the users see of their own. */
@ApiTags('admin')
@ApiBearerAuth()
@ApiResponseCodes(401, 403)
@Roles('admin')
@Controller('admin/audit')
export class AdminAuditController {
  constructor(private readonly trail: AuditTrail) {}

  @Get()
  @ApiOkResponse({ type: AdminAuditEventPageDto })
  @ApiResponseCodes(400)
  @ApiOperation({ summary: 'The audit trail, newest first, by account and type (admin)' })
  async list(@Query() query: AuditQueryDto): Promise<AdminAuditEventPageDto> {
    const records = await this.trail.page(query);
    return { items: records.map((record) => AdminAuditEventDto.from(record)) };
  }
}
