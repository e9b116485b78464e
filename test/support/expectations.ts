import { Response } from 'supertest';
import { refreshCookie, refreshCookieLine } from './auth-client';

/** Nest's error shape, with nothing internal in it: no stack, no SQL, no framework error codes. */
export function expectNestError(body: Record<string, unknown>, status: number): void {
  expect(body.statusCode).toBe(status);
  expect(typeof body.error).toBe('string');
  expect(typeof body.message === 'string' || Array.isArray(body.message)).toBe(true);
  expect(JSON.stringify(body)).not.toMatch(/FST_|stack|at \w+ \(|SELECT|INSERT|QueryFailed|node_modules/);
}

/** How login sets the refresh cookie, without its value and lifetime. */
const REFRESH_COOKIE_SHAPE = ['refresh_token', 'httponly', 'path=/api/auth', 'samesite=strict', 'secure'];

/** A cookie's name and attributes without its value and lifetime: what "set exactly like login" compares. */
export function cookieShape(line: string): string[] {
  const [pair, ...attributes] = line.split(';').map((p) => p.trim());
  const kept = attributes.filter((a) => !/^(max-age|expires)=/i.test(a)).map((a) => a.toLowerCase());
  return [pair.slice(0, pair.indexOf('=')), ...kept.sort()];
}

/** A sign-in answered as password login answers it: the token body, the refresh cookie, no-store. */
export function expectTokens(response: Response): void {
  expect(response.status).toBe(200);
  expect(Object.keys(response.body as object).sort()).toEqual([
    'accessToken',
    'expiresIn',
    'tokenType',
    'user',
  ]);
  expect(response.body.tokenType).toBe('Bearer');
  expect(typeof response.body.accessToken).toBe('string');
  expect(response.body.expiresIn).toBe(900);
  const line = refreshCookieLine(response);
  expect(line).toBeDefined();
  expect(cookieShape(line!)).toEqual(REFRESH_COOKIE_SHAPE);
  expect(response.headers['cache-control']).toMatch(/no-store/);
}

/** A sign-in refused with Nest's error shape, and no session started. */
export function expectRefused(response: Response, status = 401): void {
  expect(response.status).toBe(status);
  expectNestError(response.body as Record<string, unknown>, status);
  expect(refreshCookie(response)).toBeUndefined();
}

/** RFC 9470's answer to a token whose sign-in is too old: 401 with `insufficient_user_authentication` and max_age. */
export function expectStepUp(response: Response, maxAgeSeconds: number): void {
  expect(response.status).toBe(401);
  const header = String(response.headers['www-authenticate']);
  expect(header).toContain('error="insufficient_user_authentication"');
  expect(header).toContain(`max_age=${maxAgeSeconds}`);
  expectNestError(response.body, 401);
}
