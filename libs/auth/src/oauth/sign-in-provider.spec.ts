import { failureFromClientError, OAuthFailure } from './oauth-failure';
import { assertResponseIsOurs } from './sign-in-provider';

const ISSUER = 'https://login.example.com';
const callback = (query: string) => new URL(`https://auth.example.com/api/auth/oauth/corp/callback?${query}`);
const codeOf = (run: () => void): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as OAuthFailure).code;
  }
};

describe('assertResponseIsOurs', () => {
  const server = { issuer: ISSUER, authorization_response_iss_parameter_supported: true };

  it('accepts the transaction’s state with the provider’s iss', () => {
    expect(codeOf(() => assertResponseIsOurs(callback(`code=c&state=s1&iss=${ISSUER}`), 's1', server))).toBe(
      undefined,
    );
  });

  it.each([
    ['another state', `code=c&state=s2&iss=${ISSUER}`],
    ['no state', `code=c&iss=${ISSUER}`],
    ['two states', `code=c&state=s1&state=s2&iss=${ISSUER}`],
    ['another issuer (a mix-up)', 'code=c&state=s1&iss=https://evil.example.com'],
    ['no iss from a provider that sends it', 'code=c&state=s1'],
    ['two issuers', `code=c&state=s1&iss=${ISSUER}&iss=${ISSUER}`],
  ])('refuses %s as invalid_request', (_case, query) => {
    expect(codeOf(() => assertResponseIsOurs(callback(query), 's1', server))).toBe('invalid_request');
  });

  it('lets a provider that never sends iss (GitHub) answer without it', () => {
    expect(codeOf(() => assertResponseIsOurs(callback('code=c&state=s1'), 's1', { issuer: ISSUER }))).toBe(
      undefined,
    );
  });
});

describe('failureFromClientError', () => {
  it('tells a refusal by the user, a refused code and a failing provider apart', () => {
    const authorizationError = (error: string) => ({ code: 'OAUTH_AUTHORIZATION_RESPONSE_ERROR', error });
    const bodyError = (error: string) => ({ code: 'OAUTH_RESPONSE_BODY_ERROR', error });
    expect(failureFromClientError(authorizationError('access_denied')).code).toBe('access_denied');
    expect(failureFromClientError(authorizationError('server_error')).code).toBe('provider_error');
    expect(failureFromClientError(bodyError('invalid_grant')).code).toBe('invalid_request');
    expect(failureFromClientError(bodyError('invalid_client')).code).toBe('provider_error');
    expect(failureFromClientError(new TypeError('fetch failed')).code).toBe('provider_error');
    expect(failureFromClientError(undefined).code).toBe('provider_error');
    const kept = new OAuthFailure('account_exists');
    expect(failureFromClientError(kept)).toBe(kept);
  });
});
