import { Public } from '@gatehouse/auth';
import { DatabasePing } from '@gatehouse/database';
import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly database: DatabasePing) {}

  @Get()
  @ApiOkResponse({ schema: { example: { status: 'ok', database: 'up' } } })
  @ApiServiceUnavailableResponse({ description: 'The database does not answer' })
  async check(): Promise<{ status: 'ok'; database: 'up' }> {
    if (!(await this.database.isUp())) throw new ServiceUnavailableException('database is unreachable');
    return { status: 'ok', database: 'up' };
  }
}
