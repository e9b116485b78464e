import { Response } from 'supertest';
import { LoggedIn, refresh, refreshCookie } from './auth-client';
import { TestApp } from './test-app';

// Nothing listens here: the provider sends the "browser" to this address, and the test replays the callback's
// path and query against the app, whose own address is an ephemeral port with another Host.
export const PUBLIC_URL = 'http://localhost:4999';
export const APP_URL = 'https://app.example.com';
export const HOME = `${APP_URL}/`;
export const OAUTH_COOKIE_PATH = '/api/auth/oauth';

/** The callback URL the app registers with the provider `id`, built from PUBLIC_URL. */
export function callbackUrl(id: string): string {
  return `${PUBLIC_URL}/api/auth/oauth/${id}/callback`;
}

export function setCookies(response: Response): string[] {
  return (response.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
}

/** The login transaction's cookie line: the one scoped to the OAuth routes. */
export function transactionCookieLine(response: Response): string | undefined {
  return setCookies(response).find((line) =>
    new RegExp(`;\\s*path=${OAUTH_COOKIE_PATH}(;|$)`, 'i').test(line),
  );
}

/** What `start` (or a link) handed the browser: where to go at the provider, and the cookie to come back with. */
export interface Started {
  response: Response;
  authorizationUrl: URL;
  /** `name=value` of the transaction cookie. */
  cookie: string;
}

export interface OAuthFlowOptions {
  /** The app under test (a function: suites start it in `beforeAll`). */
  app: () => TestApp;
  /** The provider's id in the routes. */
  provider: string;
  /** Everything secret that went past, for a logs test: transaction cookies, codes and states are added. */
  secrets: Set<string>;
}

/** The Gatehouse side of a sign-in with one provider, as a browser would go through it. */
export function oauthFlow({ app, provider, secrets }: OAuthFlowOptions) {
  const callbackAt = callbackUrl(provider);

  /** The answer to `start` was a redirect to the provider that set the transaction cookie. */
  function startedFrom(response: Response): Started {
    expect(response.status).toBe(303);
    const line = transactionCookieLine(response);
    if (!line) throw new Error(`no transaction cookie in ${JSON.stringify(setCookies(response))}`);
    const cookie = line.split(';')[0];
    secrets.add(cookie.slice(cookie.indexOf('=') + 1));
    return { response, authorizationUrl: new URL(response.headers.location), cookie };
  }

  function start(returnTo?: string, providerId = provider) {
    const query = returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`;
    return app().http().get(`/api/auth/oauth/${providerId}/start${query}`);
  }

  /** The browser arrives at the callback, from the provider's site as a top-level navigation. */
  function callback(url: URL, cookie?: string) {
    expect(`${url.origin}${url.pathname}`).toBe(callbackAt);
    for (const name of ['code', 'state']) {
      const value = url.searchParams.get(name);
      if (value) secrets.add(value);
    }
    const request = app()
      .http()
      .get(`${url.pathname}${url.search}`)
      .set('Sec-Fetch-Site', 'cross-site')
      .set('Sec-Fetch-Mode', 'navigate');
    return cookie === undefined ? request : request.set('Cookie', cookie);
  }

  /** The callback ended in an error redirect, with no session and the transaction cookie gone or never used. */
  function expectOAuthError(response: Response, code: string): void {
    expect({ status: response.status, location: response.headers.location }).toEqual({
      status: 303,
      location: `${APP_URL}/?oauth_error=${code}`,
    });
    expect(refreshCookie(response)).toBeUndefined();
  }

  /** The session the callback started, used through the refresh cookie as the app would. */
  async function sessionOf(response: Response): Promise<LoggedIn> {
    const cookie = refreshCookie(response)!;
    const refreshed = await refresh(app(), cookie).expect(200);
    return {
      email: refreshed.body.user.email,
      userId: refreshed.body.user.id,
      accessToken: refreshed.body.accessToken,
      cookie: refreshCookie(refreshed)!,
      response: refreshed,
    };
  }

  async function usersWithEmail(email: string): Promise<number> {
    const [{ count }] = await app().query<{ count: string }>(
      'SELECT count(*) AS count FROM users WHERE lower(email) = lower($1)',
      [email],
    );
    return Number(count);
  }

  return { startedFrom, start, callback, expectOAuthError, sessionOf, usersWithEmail };
}
