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

  /** Scheme, host and port must all match: `http://api.example.com` is not `https://api.example.com`. */
  private isTrusted(origin: string, request: FastifyRequest): boolean {
    let normalized: string;
    try {
      normalized = new URL(origin).origin;
    } catch {
      return false;
    }
    if (normalized === 'null') return false;
    if (this.config.http.corsOrigins.includes(normalized)) return true;
    if (normalized === new URL(this.config.urls.publicUrl).origin) return true;
    // The browser sets Host to this server; the scheme is the one the request came in by (after TRUST_PROXY).
    return normalized === originOf(request);
  }
}

function originOf(request: FastifyRequest): string | undefined {
  try {
    return new URL(`${request.protocol}://${request.host}`).origin;
  } catch {
    return undefined;
  }
}
