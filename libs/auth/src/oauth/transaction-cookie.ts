import { AppConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { readCookie, writeCookie } from '../cookies/cookie-jar';
import { LOGIN_TRANSACTION_TTL_SECONDS } from './login-transactions';

const NAME = 'oauth_transaction';
const PATH = '/api/auth/oauth';

/**
 * The cookie that binds a login transaction to the browser that started it. `SameSite=Lax`: the provider's
 * redirect back is a cross-site top-level navigation, which a Strict cookie would not come back with.
 */
@Injectable()
export class TransactionCookie {
  constructor(private readonly config: AppConfig) {}

  read(request: FastifyRequest): string | undefined {
    return readCookie(request, NAME);
  }

  set(reply: FastifyReply, transactionId: string): void {
    writeCookie(reply, NAME, transactionId, { ...this.attributes(), maxAge: LOGIN_TRANSACTION_TTL_SECONDS });
  }

  clear(reply: FastifyReply): void {
    writeCookie(reply, NAME, '', { ...this.attributes(), maxAge: 0, expires: new Date(0) });
  }

  private attributes() {
    return { path: PATH, httpOnly: true, secure: this.config.cookie.secure, sameSite: 'lax' as const };
  }
}
