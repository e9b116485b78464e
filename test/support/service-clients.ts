import { Response } from 'supertest';
import { HttpTarget } from './auth-client';

export const TOKEN_PATH = '/api/oauth/token';
export const FORM = 'application/x-www-form-urlencoded';

export interface CreatedClient {
  id: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
}

/** An admin makes a service client; throws unless the answer is 201. */
export async function createClient(
  app: HttpTarget,
  adminToken: string,
  scopes: string[],
  name = 'a service client',
): Promise<CreatedClient> {
  const response = await app
    .http()
    .post('/api/admin/clients')
    .set('Authorization', `Bearer ${adminToken}`)
    .send({ name, scopes });
  if (response.status !== 201) {
    throw new Error(`creating a client failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body as CreatedClient;
}

/** application/x-www-form-urlencoded encoding of one value, as RFC 6749 §2.3.1 wants Basic's halves encoded. */
export function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/** An HTTP Basic header for client_secret_basic (RFC 6749 §2.3.1): each half form-encoded, then base64. */
export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`).toString('base64')}`;
}

/** A form body from pairs, repeated names allowed. */
export function form(pairs: [string, string][]): string {
  return pairs.map(([name, value]) => `${formEncode(name)}=${formEncode(value)}`).join('&');
}

/** POSTs a form to the token endpoint, with extra headers (Authorization, DPoP). */
export function tokenRequest(app: HttpTarget, body: string, headers: Record<string, string> = {}) {
  const request = app.http().post(TOKEN_PATH).set('Content-Type', FORM);
  for (const [name, value] of Object.entries(headers)) request.set(name, value);
  return request.send(body);
}

/** The token request of client_secret_post. */
export function postCredentials(client: CreatedClient, extra: [string, string][] = []): string {
  return form([
    ['grant_type', 'client_credentials'],
    ['client_id', client.clientId],
    ['client_secret', client.clientSecret],
    ...extra,
  ]);
}

/** An RFC 6749 §5.2 refusal: that status and code, `{error, error_description}` only, never cached. */
export function expectTokenError(response: Response, status: number, error: string): void {
  expect({ status: response.status, error: response.body?.error }).toEqual({ status, error });
  expect(Object.keys(response.body as object).sort()).toEqual(['error', 'error_description']);
  expect(response.body.error_description).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.headers.pragma).toBe('no-cache');
}
