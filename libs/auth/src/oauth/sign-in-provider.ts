import { OAuthFailure } from './oauth-failure';

/** Who the provider says the user is, once the code has been exchanged and every check has passed. */
export interface ProviderProfile {
  /** With `subject`, the identity: never the email. */
  readonly issuer: string;
  readonly subject: string;
  readonly email?: string;
  /** True only when the provider vouches for the address. */
  readonly emailVerified: boolean;
  readonly name?: string;
}

/** The secrets of one login transaction, as `start` made them and `callback` checks them. */
export interface AuthorizationSecrets {
  readonly state: string;
  /** OpenID Connect only. */
  readonly nonce?: string;
  readonly codeVerifier: string;
}

/** One configured provider, whatever its protocol. */
export interface SignInProvider {
  readonly id: string;
  readonly name: string;
  /** Whether the flow carries a nonce (OpenID Connect) or not (plain OAuth 2, GitHub). */
  readonly usesNonce: boolean;
  /** Where to send the browser: the provider's authorization endpoint with every parameter of the request. */
  authorizationUrl(secrets: AuthorizationSecrets, redirectUri: string): Promise<URL>;
  /**
   * Checks the callback (`state`, `iss`), exchanges the code with the PKCE verifier, checks the id_token and
   * its nonce, and reads the profile. Throws an OAuthFailure.
   */
  complete(callbackUrl: URL, secrets: AuthorizationSecrets): Promise<ProviderProfile>;
}

/**
 * The checks of an authorization response that say the request was not ours: a `state` other than the
 * transaction's, or an `iss` other than the provider's (RFC 9207: a mix-up). The client library makes them
 * again; they are made here first so that they answer `invalid_request`, not `provider_error`.
 */
export function assertResponseIsOurs(
  callbackUrl: URL,
  state: string,
  server: { issuer: string; authorization_response_iss_parameter_supported?: boolean },
): void {
  const params = callbackUrl.searchParams;
  if (params.getAll('state').length !== 1 || params.get('state') !== state) {
    throw new OAuthFailure('invalid_request');
  }
  const iss = params.getAll('iss');
  if (iss.length > 1 || (iss.length === 1 && iss[0] !== server.issuer))
    throw new OAuthFailure('invalid_request');
  if (iss.length === 0 && server.authorization_response_iss_parameter_supported) {
    throw new OAuthFailure('invalid_request');
  }
}
