import { AppConfig } from '@gatehouse/config';
import { normalizeEmail } from '@gatehouse/users';
import { ExecutionContext } from '@nestjs/common';
import { ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import { FastifyRequest } from 'fastify';

/** The normalised email a login is aimed at, when the body has one. */
function emailOf(context: ExecutionContext): string | undefined {
  const body = context.switchToHttp().getRequest<FastifyRequest>().body as { email?: unknown } | undefined;
  return typeof body?.email === 'string' ? normalizeEmail(body.email) : undefined;
}

/**
 * Login counts per client address and per target email (so neither many addresses against one account nor one
 * address against many accounts gets far); registration and refresh count per client address. The client
 * address is Fastify's `request.ip`, which follows TRUST_PROXY.
 */
export function throttlerOptions(config: AppConfig, storage: ThrottlerStorage): ThrottlerModuleOptions {
  const { login, register, refresh } = config.throttle;
  const ms = (seconds: number) => seconds * 1000;
  return {
    storage,
    setHeaders: false,
    throttlers: [
      { name: 'login-ip', limit: login.limit, ttl: ms(login.ttl) },
      {
        name: 'login-email',
        limit: login.limit,
        ttl: ms(login.ttl),
        skipIf: (context) => emailOf(context) === undefined,
        getTracker: (_request, context) => emailOf(context) ?? '',
      },
      { name: 'register-ip', limit: register.limit, ttl: ms(register.ttl) },
      { name: 'refresh-ip', limit: refresh.limit, ttl: ms(refresh.ttl) },
    ],
  };
}
