import { AppConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { readCookie, writeCookie } from './cookie-jar';
import { REFRESH_COOKIE_PATH } from './refresh-cookie';

export const DEVICE_COOKIE_NAME = 'gh_device';

/** The longest lifetime browsers grant a cookie (400 days): a browser stays known for as long as it can. */
export const DEVICE_COOKIE_MAX_AGE_SECONDS = 400 * 24 * 60 * 60;

/** 32 random bytes in base64url, as the sign-in function makes them: anything else is no device cookie. */
const DEVICE_COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

/** The device cookie a request carried, when it has the shape of one; its value is never logged. */
export function readDeviceCookie(request: FastifyRequest): string | undefined {
  const value = readCookie(request, DEVICE_COOKIE_NAME);
  return value !== undefined && DEVICE_COOKIE_VALUE.test(value) ? value : undefined;
}

/**
 * The one place the device cookie's name, path and attributes are decided. It only tells a browser the account
 * has seen before from a new one, so it is read at sign-in only (the auth routes' path), and `SameSite=Lax`: a
 * provider's redirect back is a cross-site navigation that must still carry it. `Secure` as the refresh cookie.
 */
@Injectable()
export class DeviceCookie {
  constructor(private readonly config: AppConfig) {}

  set(reply: FastifyReply, value: string): void {
    writeCookie(reply, DEVICE_COOKIE_NAME, value, {
      path: REFRESH_COOKIE_PATH,
      httpOnly: true,
      secure: this.config.cookie.secure,
      sameSite: 'lax',
      maxAge: DEVICE_COOKIE_MAX_AGE_SECONDS,
    });
  }
}
