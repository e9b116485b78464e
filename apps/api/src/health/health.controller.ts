import { NoRateLimit, Public } from '@gatehouse/auth';
import { DatabasePing } from '@gatehouse/database';
import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ComponentReport, Readiness } from './readiness';
import { ShutdownState } from './shutdown-state';

const componentsSchema = {
  type: 'object',
  description: 'database always; redis and smtp only when configured',
  additionalProperties: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
  },
};

type NotReadyBody = {
  statusCode: 503;
  error: 'Service Unavailable';
  message: string;
  status: 'error' | 'shutting_down';
  details: Record<string, ComponentReport>;
};

/** No cache between a probe and the answer: a stale 200 would keep traffic on a failing instance. */
function uncached(reply: FastifyReply): void {
  void reply.header('Cache-Control', 'no-store');
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly database: DatabasePing,
    private readonly readiness: Readiness,
    private readonly shutdown: ShutdownState,
  ) {}

  @Public()
  // Probes and load balancers poll this from a few addresses: it must answer however often they ask.
  @NoRateLimit()
  @Get()
  @ApiOperation({ summary: 'Whether the database answers (kept for existing probes; prefer live and ready)' })
  @ApiOkResponse({ schema: { example: { status: 'ok', database: 'up' } } })
  @ApiServiceUnavailableResponse({ description: 'The database does not answer' })
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: 'ok'; database: 'up' }> {
    uncached(reply);
    if (!(await this.database.isUp())) throw new ServiceUnavailableException('database is unreachable');
    return { status: 'ok', database: 'up' };
  }

  @Public()
  // Probes and load balancers poll this from a few addresses: it must answer however often they ask.
  @NoRateLimit()
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers. Never looks at the database.' })
  @ApiOkResponse({
    schema: { type: 'object', properties: { status: { enum: ['ok'] } }, example: { status: 'ok' } },
  })
  live(@Res({ passthrough: true }) reply: FastifyReply): { status: 'ok' } {
    uncached(reply);
    return { status: 'ok' };
  }

  @Public()
  // Probes and load balancers poll this from a few addresses: it must answer however often they ask.
  @NoRateLimit()
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: the database answers within 2 s and shutdown has not begun',
    description: 'Redis and SMTP are reported but never make it fail: both fail open.',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { status: { enum: ['ok'] }, details: componentsSchema },
      example: { status: 'ok', details: { database: { status: 'up' }, redis: { status: 'up' } } },
    },
  })
  @ApiServiceUnavailableResponse({
    description: 'The database does not answer within 2 s, or the instance is shutting down',
    schema: {
      type: 'object',
      properties: {
        statusCode: { enum: [503] },
        error: { enum: ['Service Unavailable'] },
        message: { type: 'string' },
        status: { enum: ['error', 'shutting_down'] },
        details: componentsSchema,
      },
      example: {
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'database is unreachable',
        status: 'error',
        details: { database: { status: 'down' } },
      },
    },
  })
  async ready(
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ status: 'ok'; details: Record<string, ComponentReport> } | NotReadyBody> {
    uncached(reply);
    const notReady = (message: string, status: NotReadyBody['status'], details = {}): NotReadyBody => {
      void reply.status(503);
      return { statusCode: 503, error: 'Service Unavailable', message, status, details };
    };
    if (this.shutdown.shuttingDown) return notReady('shutting down', 'shutting_down');
    const report = await this.readiness.check();
    // Shutdown may have begun while the checks ran.
    if (this.shutdown.shuttingDown) return notReady('shutting down', 'shutting_down', report.details);
    if (!report.ready) return notReady('database is unreachable', 'error', report.details);
    return { status: 'ok', details: report.details };
  }
}
