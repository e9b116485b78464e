import { AppConfig } from '@gatehouse/config';
import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

/**
 * CSRF defence for the cookie-authenticated routes: refuses a request whose `Origin` is present and is neither
 * this server's own nor in CORS_ORIGINS, and any request a browser marks `Sec-Fetch-Site: cross-site`.
 * Requests without `Origin` (curl, mobile apps) pass.
 */
@Injectable()
export class SameOriginGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.headers['sec-fetch-site'] === 'cross-site')
      throw new ForbiddenException('cross-site request refused');
    const origin = request.headers.origin;
    if (origin === undefined || this.isTrusted(origin, request)) return true;
    throw new ForbiddenException('cross-site request refused');
  }

  private isTrusted(origin: string, request: FastifyRequest): boolean {
    if (this.config.http.corsOrigins.includes(origin)) return true;
    try {
      // The browser sets Host to this server, so an Origin naming the same host is this server's own page.
      return new URL(origin).host === request.host;
    } catch {
      return false;
    }
  }
}
