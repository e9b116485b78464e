/** The `?oauth_error=` codes a sign-in through a provider can end with. */
export type OAuthErrorCode =
  | 'access_denied'
  | 'invalid_request'
  | 'account_exists'
  | 'email_unverified'
  | 'identity_in_use'
  | 'account_disabled'
  | 'provider_error';

/** A provider sign-in that ends without a session, with the code the front end is told. */
export class OAuthFailure extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    options?: { cause?: unknown },
  ) {
    super(code, options);
    this.name = 'OAuthFailure';
  }
}

/**
 * What an error from openid-client means for the user: they said no, the code was refused (replayed or forged:
 * the request was bad), or the provider failed us. The library's own message is never shown to anyone.
 */
export function failureFromClientError(error: unknown): OAuthFailure {
  if (error instanceof OAuthFailure) return error;
  const { code, error: oauthError } = (error ?? {}) as { code?: unknown; error?: unknown };
  if (code === 'OAUTH_AUTHORIZATION_RESPONSE_ERROR' && oauthError === 'access_denied') {
    return new OAuthFailure('access_denied', { cause: error });
  }
  if (code === 'OAUTH_RESPONSE_BODY_ERROR' && oauthError === 'invalid_grant') {
    return new OAuthFailure('invalid_request', { cause: error });
  }
  return new OAuthFailure('provider_error', { cause: error });
}
