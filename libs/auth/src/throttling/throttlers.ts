import { AppConfig } from '@gatehouse/config';
import { normalizeEmail } from '@gatehouse/users';
import { ExecutionContext } from '@nestjs/common';
import { ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import { FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';

/** Per client address: Prometheus scrapes every 15 s to 1 min; a few scrapers behind one address still fit. */
export const METRICS_SCRAPES_PER_MINUTE = 60;

/**
 * The throttlers that count per account: attempts at its password (login, password change) and recovery mails
 * to it (forgotten password, verification resend). Each is fed by several routes.
 */
export type PerEmailThrottler = 'login-email' | 'recovery-email' | 'invite-email';

/**
 * One account's counter of a per-email throttler: the same key whichever route counts (the email is in a body
 * here, the caller's own there), so attempts spread over routes still add up. Hashed: no email in the store.
 */
export function perEmailKey(throttler: PerEmailThrottler, email: string): string {
  return createHash('sha256')
    .update(`${throttler}:${normalizeEmail(email)}`)
    .digest('hex');
}

/** The normalised email a login or a recovery request is aimed at, when the body has one. */
function emailOf(context: ExecutionContext): string | undefined {
  const body = context.switchToHttp().getRequest<FastifyRequest>().body as { email?: unknown } | undefined;
  return typeof body?.email === 'string' ? normalizeEmail(body.email) : undefined;
}

/**
 * Login and recovery count per client address and per target email (so neither many addresses against one
 * account nor one address against many accounts gets far); registration, refresh and every other public route
 * count per client address. The client address is Fastify's `request.ip`, which follows TRUST_PROXY.
 */
export function throttlerOptions(config: AppConfig, storage: ThrottlerStorage): ThrottlerModuleOptions {
  const { login, register, refresh, recovery, invite } = config.throttle;
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
        generateKey: (_context, email) => perEmailKey('login-email', email),
      },
      { name: 'register-ip', limit: register.limit, ttl: ms(register.ttl) },
      { name: 'refresh-ip', limit: refresh.limit, ttl: ms(refresh.ttl) },
      { name: 'recovery-ip', limit: recovery.limit, ttl: ms(recovery.ttl) },
      {
        name: 'recovery-email',
        limit: recovery.limit,
        ttl: ms(recovery.ttl),
        skipIf: (context) => emailOf(context) === undefined,
        getTracker: (_request, context) => emailOf(context) ?? '',
        generateKey: (_context, email) => perEmailKey('recovery-email', email),
      },
      // Invitations count per inviting user (an admin behind a shared office address is not held to the
      // recovery budget of a stranger) and, as any mail to an address someone typed, per invited address.
      {
        name: 'invite-user',
        limit: invite.limit,
        ttl: ms(invite.ttl),
        getTracker: (request) => (request as { user?: { id?: string } }).user?.id ?? '',
      },
      {
        name: 'invite-email',
        limit: recovery.limit,
        ttl: ms(recovery.ttl),
        skipIf: (context) => emailOf(context) === undefined,
        getTracker: (_request, context) => emailOf(context) ?? '',
        generateKey: (_context, email) => perEmailKey('invite-email', email),
      },
      { name: 'public-ip', limit: config.throttle.public.limit, ttl: ms(config.throttle.public.ttl) },
      // A bucket of its own, so a scraper never spends the public budget of the users behind its address, and
      // small enough that guessing the metrics token stays hopeless: a scrape a second is ample.
      { name: 'metrics-ip', limit: METRICS_SCRAPES_PER_MINUTE, ttl: ms(60) },
    ],
  };
}
