import fastifyCookie from '@fastify/cookie';
import { documentPublicRoutes } from '@gatehouse/auth';
import { AppConfig } from '@gatehouse/config';
import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule, AppModuleOptions } from './app.module';
import { answerFrameworkError } from './common/framework-errors';
import { drainConnectionsOnClose } from './common/graceful-shutdown';
import { httpTimeouts } from './common/http-timeouts';
import { appLogger, requestId, requestLine } from './common/logging';
import { whenAnswered } from './common/when-answered';
import { acceptJsonBodiesOnly } from './common/json-only';
import { refuseUnsafeJsonBodies } from './common/json-body-checks';
import { sendSecurityHeaders } from './common/security-headers';
import { serveDemoPage } from './demo/serve-demo';
import { GatehouseMetrics } from './metrics/gatehouse-metrics';

export { describeDatabase } from '@gatehouse/database';

/**
 * Builds the whole app, exactly as `main.ts` runs it: end-to-end tests and benchmarks call this too.
 * The returned app is initialised but not listening.
 */
export async function createApp(
  config: AppConfig,
  options: AppModuleOptions = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    frameworkErrors: answerFrameworkError,
    genReqId: requestId,
    ...httpTimeouts(config.http),
  });
  const logger = options.logger ?? appLogger(config, options.logDestination);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, { ...options, logger }),
    adapter,
    {
      bufferLogs: true,
      abortOnError: false,
    },
  );
  app.useLogger(app.get(Logger));
  app.flushLogs();
  // RFC 8414 and the JWKS live at the origin's /.well-known, where clients and resource servers look for them.
  app.setGlobalPrefix('api', {
    exclude: [
      { path: '.well-known/jwks.json', method: RequestMethod.GET },
      { path: '.well-known/oauth-authorization-server', method: RequestMethod.GET },
    ],
  });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  // Counted only when someone may read the counts; with METRICS_TOKEN unset a request costs nothing extra.
  const counted = config.metrics.token ? [app.get(GatehouseMetrics).http.count] : [];
  whenAnswered(app.getHttpAdapter().getInstance(), requestLine(logger), ...counted);
  drainConnectionsOnClose(app.getHttpAdapter().getInstance(), config.http.shutdownGrace);
  // First of the onRequest hooks: an answer an earlier hook gives (a 415, say) carries the headers too.
  sendSecurityHeaders(app.getHttpAdapter().getInstance());
  acceptJsonBodiesOnly(app.getHttpAdapter().getInstance());
  refuseUnsafeJsonBodies(app.getHttpAdapter().getInstance());

  // Parsed and set by the routes that use cookies (cookie-jar.ts), not by hooks on every request.
  await app.register(fastifyCookie, { hook: false });
  const allowed = new Set(config.http.corsOrigins);
  app.enableCors({
    // Only listed origins, never a wildcard: a credentialed response names the one origin it allows.
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'DPoP'],
    // A page on another origin reads the step-up and DPoP answers (RFC 9470, RFC 9449 §8).
    exposedHeaders: ['WWW-Authenticate', 'DPoP-Nonce', 'Retry-After'],
    maxAge: 600,
  });

  const openApi = new DocumentBuilder()
    .setTitle('Gatehouse')
    .setDescription('Access tokens in the body, rotating refresh tokens in an HttpOnly cookie.')
    .setVersion('1')
    .setLicense('MIT', 'https://opensource.org/license/mit')
    .addServer('/', 'This server')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addSecurity('metrics_token', {
      type: 'http',
      scheme: 'bearer',
      description: 'METRICS_TOKEN, for GET /api/metrics only',
    })
    // As the global guard does: every route needs the access token unless @Public() clears it.
    .addSecurityRequirements('bearer')
    .addCookieAuth(
      config.cookie.name,
      { type: 'apiKey', in: 'cookie', name: config.cookie.name },
      'refresh_token',
    )
    .build();
  SwaggerModule.setup(
    'api/docs',
    app,
    () => documentPublicRoutes(SwaggerModule.createDocument(app, openApi)),
    {
      jsonDocumentUrl: 'api/docs-json',
    },
  );

  await serveDemoPage(app);

  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
