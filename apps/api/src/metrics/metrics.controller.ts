import { ApiResponseCodes, Public, RateLimit } from '@gatehouse/auth';
import { AppConfig } from '@gatehouse/config';
import { Controller, Get, Header, NotFoundException, Req, Res, UnauthorizedException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseMetrics } from './gatehouse-metrics';
import { presentsMetricsToken } from './metrics-token';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly config: AppConfig,
    private readonly metrics: GatehouseMetrics,
  ) {}

  // Public to the access-token guard: the scraper presents METRICS_TOKEN, never a user's token.
  @Public()
  // Its own per-address bucket: a scraper spends no user's budget, and a token guesser stays throttled.
  @RateLimit('metrics')
  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiSecurity('metrics_token')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'The Prometheus text format. Exists only when METRICS_TOKEN is set (404 otherwise), and answers only ' +
      '`Authorization: Bearer <METRICS_TOKEN>` (401 otherwise). With WORKERS above 1, the figures of every ' +
      'worker of the host together; 503 when they cannot be gathered (a worker starting).',
  })
  @ApiOkResponse({
    description: 'Prometheus text exposition format 0.0.4',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiResponseCodes(401, 404, 429, 503)
  async scrape(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const token = this.config.metrics.token;
    // The same answer as a route that does not exist: nothing tells a prober that metrics could be turned on.
    if (token === undefined) throw new NotFoundException(`Cannot GET ${request.url}`);
    if (!presentsMetricsToken(request.headers.authorization, token)) {
      throw new UnauthorizedException('a valid metrics token is required');
    }
    const text = await this.metrics.scrape();
    void reply.header('Content-Type', this.metrics.registry.contentType);
    return text;
  }
}
