import { AppConfig } from '@gatehouse/config';
import { normalizeEmail } from '@gatehouse/users';
import { ExecutionContext } from '@nestjs/common';
import { ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import { FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';

/** The throttler that counts attempts at one account's password, from every route that checks it. */
export const LOGIN_EMAIL_THROTTLER = 'login-email';

/**
 * The counter of password attempts against one account: the same key whichever route checked the password
 * (login, password change), so guesses spread over routes still add up. Hashed: no email in the store.
 */
export function loginEmailKey(email: string): string {
  return createHash('sha256')
    .update(`${LOGIN_EMAIL_THROTTLER}:${normalizeEmail(email)}`)
    .digest('hex');
}

/** The normalised email a login is aimed at, when the body has one. */
function emailOf(context: ExecutionContext): string | undefined {
  const body = context.switchToHttp().getRequest<FastifyRequest>().body as { email?: unknown } | undefined;
  return typeof body?.email === 'string' ? normalizeEmail(body.email) : undefined;
}

/**
 * Login counts per client address and per target email (so neither many addresses against one account nor one
 * address against many accounts gets far); registration, refresh and every other public route count per client
 * address. The client address is Fastify's `request.ip`, which follows TRUST_PROXY.
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
        name: LOGIN_EMAIL_THROTTLER,
        limit: login.limit,
        ttl: ms(login.ttl),
        skipIf: (context) => emailOf(context) === undefined,
        getTracker: (_request, context) => emailOf(context) ?? '',
        generateKey: (_context, email) => loginEmailKey(email),
      },
      { name: 'register-ip', limit: register.limit, ttl: ms(register.ttl) },
      { name: 'refresh-ip', limit: refresh.limit, ttl: ms(refresh.ttl) },
      { name: 'public-ip', limit: config.throttle.public.limit, ttl: ms(config.throttle.public.ttl) },
    ],
  };
}
