import { AppConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { readCookie, writeCookie } from './cookie-jar';

/** Refresh cookies are sent to the auth routes only. */
export const REFRESH_COOKIE_PATH = '/api/auth';

/** The one place the refresh cookie's name, path and attributes are decided, for setting and for clearing. */
@Injectable()
export class RefreshCookie {
  constructor(private readonly config: AppConfig) {}

  get name(): string {
    return this.config.cookie.name;
  }

  read(request: FastifyRequest): string | undefined {
    return readCookie(request, this.name);
  }

  set(reply: FastifyReply, token: string, expiresAt: Date): void {
    const secondsLeft = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
    writeCookie(reply, this.name, token, { ...this.attributes(), maxAge: secondsLeft });
  }

  clear(reply: FastifyReply): void {
    writeCookie(reply, this.name, '', { ...this.attributes(), maxAge: 0, expires: new Date(0) });
  }

  private attributes() {
    const { sameSite, secure } = this.config.cookie;
    return { path: REFRESH_COOKIE_PATH, httpOnly: true, secure, sameSite };
  }
}
