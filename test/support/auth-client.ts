import { Response } from 'supertest';
import { TestApp } from './test-app';

/** Whatever the helpers can send requests to: an in-process app, or a server process reached by its port. */
export type HttpTarget = Pick<TestApp, 'http'>;

export const PASSWORD = 'a long enough passphrase for tests';
let counter = 0;

export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}@example.com`;
}

/** The `name=value` of the refresh cookie a response sets, or undefined. */
export function refreshCookie(response: Response, name = 'refresh_token'): string | undefined {
  const header = response.headers['set-cookie'] as unknown as string[] | undefined;
  const line = header?.find((cookie) => cookie.startsWith(`${name}=`));
  return line?.split(';')[0];
}

/** The full Set-Cookie line for the refresh cookie. */
export function refreshCookieLine(response: Response, name = 'refresh_token'): string | undefined {
  const header = response.headers['set-cookie'] as unknown as string[] | undefined;
  return header?.find((cookie) => cookie.startsWith(`${name}=`));
}

export interface LoggedIn {
  email: string;
  userId: string;
  accessToken: string;
  cookie: string;
  response: Response;
}

export async function register(
  app: HttpTarget,
  email = uniqueEmail(),
  password = PASSWORD,
): Promise<Response> {
  const response = await app.http().post('/api/auth/register').send({ email, password });
  if (response.status !== 201)
    throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response;
}

export async function login(app: HttpTarget, email: string, password = PASSWORD): Promise<LoggedIn> {
  const response = await app.http().post('/api/auth/login').send({ email, password });
  if (response.status !== 200)
    throw new Error(`login failed: ${response.status} ${JSON.stringify(response.body)}`);
  return signedIn(response, email);
}

/** The session a sign-in answer started (a login, an mfa/verify, a code's verify), as `login` describes it. */
export function signedIn(response: Response, email: string): LoggedIn {
  return {
    email,
    userId: response.body.user.id,
    accessToken: response.body.accessToken,
    cookie: refreshCookie(response)!,
    response,
  };
}

/** Registers a new user and logs in. */
export async function signUp(app: HttpTarget, email = uniqueEmail()): Promise<LoggedIn> {
  await register(app, email);
  return login(app, email);
}

export function refresh(app: HttpTarget, cookie: string) {
  return app.http().post('/api/auth/refresh').set('Cookie', cookie);
}

export function me(app: HttpTarget, accessToken: string) {
  return app.http().get('/api/users/me').set('Authorization', `Bearer ${accessToken}`);
}

/** Decodes a JWT's header and payload without verifying it. */
export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
  };
}
