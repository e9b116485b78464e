import type * as OpenIdClient from 'openid-client';

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
