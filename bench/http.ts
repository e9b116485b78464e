/** The few API calls the driver makes to set a scenario up (register, login), with Node's fetch. */

export interface LoginResult {
  accessToken: string;
  refreshToken: string;
  userId: string;
  sessionId: string;
}

export const REFRESH_COOKIE = 'refresh_token';

/** The refresh token in a Set-Cookie header value, or undefined when the header clears or lacks it. */
export function refreshTokenFrom(setCookie: string | string[] | undefined): string | undefined {
  for (const header of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
    const match = /^refresh_token=([^;]+)/.exec(header);
    if (match) return match[1];
  }
  return undefined;
}

/** The claims of a JWT, unverified: the driver only reads what it was just given. */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

async function post(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

export async function register(base: string, email: string, password: string): Promise<void> {
  const response = await post(base, '/api/auth/register', { email, password });
  if (response.status !== 201)
    throw new Error(`register ${email}: ${response.status} ${await response.text()}`);
}

/** Logs in; with `dpop` (a proof of the login request), the session is bound to that proof's key. */
export async function login(
  base: string,
  email: string,
  password: string,
  dpop?: string,
): Promise<LoginResult> {
  const response = await post(base, '/api/auth/login', { email, password }, dpop ? { dpop } : {});
  if (response.status !== 200) throw new Error(`login ${email}: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { accessToken: string };
  const refreshToken = refreshTokenFrom(response.headers.getSetCookie());
  if (!refreshToken) throw new Error('login answered without a refresh cookie');
  const claims = claimsOf(body.accessToken);
  return {
    accessToken: body.accessToken,
    refreshToken,
    userId: String(claims.sub),
    sessionId: String(claims.sid),
  };
}
