import { NoRateLimit, Public } from '@gatehouse/auth';
import { DatabasePing } from '@gatehouse/database';
import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly database: DatabasePing) {}

  @Public()
  // Probes and load balancers poll this from a few addresses: it must answer them however often they ask.
  @NoRateLimit()
  @Get()
  @ApiOkResponse({ schema: { example: { status: 'ok', database: 'up' } } })
  @ApiServiceUnavailableResponse({ description: 'The database does not answer' })
  async check(): Promise<{ status: 'ok'; database: 'up' }> {
    if (!(await this.database.isUp())) throw new ServiceUnavailableException('database is unreachable');
    return { status: 'ok', database: 'up' };
  }
}
