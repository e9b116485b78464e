import { AppConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { FastifyReply } from 'fastify';

/** Refresh cookies are sent to the auth routes only. */
export const REFRESH_COOKIE_PATH = '/api/auth';

/** The one place the refresh cookie's name, path and attributes are decided, for setting and for clearing. */
@Injectable()
export class RefreshCookie {
  constructor(private readonly config: AppConfig) {}

  get name(): string {
    return this.config.cookie.name;
  }

  set(reply: FastifyReply, token: string, expiresAt: Date): void {
    const secondsLeft = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
    reply.setCookie(this.name, token, { ...this.attributes(), maxAge: secondsLeft });
  }

  clear(reply: FastifyReply): void {
    reply.setCookie(this.name, '', { ...this.attributes(), maxAge: 0, expires: new Date(0) });
  }

  private attributes() {
    const { sameSite, secure } = this.config.cookie;
    return { path: REFRESH_COOKIE_PATH, httpOnly: true, secure, sameSite };
  }
}
