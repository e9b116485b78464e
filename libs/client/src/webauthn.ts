import type { PasskeyCreationOptionsDto, PasskeyRequestOptionsDto } from './api-types.js';

/**
 * The subset of `navigator.credentials` the client uses to make and use passkeys. What it answers is checked
 * when it arrives: a `PublicKeyCredential`, whose `toJSON()` goes to the server.
 */
export interface CredentialsContainerLike {
  create(options: { publicKey: unknown }): Promise<unknown>;
  get(options: { publicKey: unknown }): Promise<unknown>;
}

/** The statics of the browser's `PublicKeyCredential` that turn the server's JSON options into the browser's. */
export interface PublicKeyCredentialStatics {
  parseCreationOptionsFromJSON(options: PasskeyCreationOptionsDto): unknown;
  parseRequestOptionsFromJSON(options: PasskeyRequestOptionsDto): unknown;
}

/** The browser's `PublicKeyCredential`, when it can read the server's JSON options (Chrome 129, Safari 18.4…). */
export function jsonReadyPublicKeyCredential(
  found: Partial<PublicKeyCredentialStatics> | undefined,
): PublicKeyCredentialStatics | null {
  return typeof found?.parseCreationOptionsFromJSON === 'function' &&
    typeof found.parseRequestOptionsFromJSON === 'function'
    ? (found as PublicKeyCredentialStatics)
    : null;
}

/**
 * The JSON of the credential `navigator.credentials` answered, as the server takes it. Anything without
 * `toJSON()` (no credential at all, or a browser too old to write one) is a `TypeError`, and nothing is sent.
 */
export function credentialJson<T>(credential: unknown): T {
  const toJSON = (credential as { toJSON?: unknown } | null)?.toJSON;
  if (typeof toJSON !== 'function') throw new TypeError('the browser answered no passkey credential');
  return toJSON.call(credential) as T;
}
