import type * as OpenIdClient from 'openid-client';
import type { AuthorizationSecrets } from './sign-in-provider';

export type OpenId = typeof OpenIdClient;
export type OpenIdConfiguration = OpenIdClient.Configuration;

// A real dynamic import that TypeScript's CommonJS output cannot turn into `require`: openid-client is ESM-only,
// and Jest's module loader (unlike Node's) does not `require` ESM.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the only way to keep a real import() in CommonJS output
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(
  specifier: string,
) => Promise<T>;

let loaded: Promise<OpenId> | undefined;

/** openid-client, loaded once on first use. */
export function loadOpenIdClient(): Promise<OpenId> {
  loaded ??= importEsm<OpenId>('openid-client');
  return loaded;
}

/**
 * The authorization request every provider gets: the code flow, the provider's scopes, the transaction's state
 * and its PKCE challenge (S256), plus what a protocol adds (a nonce for OpenID Connect).
 */
export async function authorizationUrlFor(
  config: OpenIdConfiguration,
  request: { scopes: readonly string[]; secrets: AuthorizationSecrets; redirectUri: string },
  extra: Record<string, string> = {},
): Promise<URL> {
  const openid = await loadOpenIdClient();
  return openid.buildAuthorizationUrl(config, {
    redirect_uri: request.redirectUri,
    scope: request.scopes.join(' '),
    state: request.secrets.state,
    code_challenge: await openid.calculatePKCECodeChallenge(request.secrets.codeVerifier),
    code_challenge_method: 'S256',
    ...extra,
  });
}
