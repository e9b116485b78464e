import { TokenEndpointError } from './token-endpoint-error';

/**
 * What `POST /api/oauth/token` reads from a request (RFC 6749 §4.4 and §2.3.1), as a pure function of the parsed
 * form and the Authorization header, so every rule is checked without a server. Where the RFC leaves room:
 * - a parameter sent with an empty value is treated as omitted (RFC 6749 §3.2, as oidc-provider does), so
 *   `scope=` asks for every scope the client holds, as no `scope` does;
 * - any parameter sent twice is `invalid_request` (§3.2: "MUST NOT be included more than once"), an unknown one
 *   too (oidc-provider checks only those it reads);
 * - Basic credentials are form-urlencoded before base64 (§2.3.1): each half is decoded (`+` is a space); a header
 *   that does not decode is `invalid_request`, as in oidc-provider. Gatehouse's ids and secrets use only
 *   characters that encoding leaves alone, so a client that skips the encoding works too;
 * - `client_id` may also be in the body beside Basic when it names the same client; a secret both ways is two
 *   methods at once, `invalid_request` (both as oidc-provider);
 * - no client authentication, or an Authorization header of another scheme (`Bearer`), is `invalid_client`: an
 *   unsupported authentication method, in RFC 6749 §5.2's words.
 */

/** The one route that takes a form body instead of JSON, as the app serves it (under the `api` prefix). */
export const TOKEN_ENDPOINT = '/api/oauth/token';

export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

export const CLIENT_CREDENTIALS = 'client_credentials';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface TokenRequest {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly authMethod: ClientAuthMethod;
  /** The scopes asked for, each once, in the order given; undefined: every scope the client holds. */
  readonly scopes?: readonly string[];
}

/** The parameters this endpoint reads; any other is ignored (RFC 6749 §3.2), unless it is repeated. */
const KNOWN_PARAMETERS = new Set(['grant_type', 'scope', 'client_id', 'client_secret']);

/** RFC 6749 §3.3: scope-tokens of printable ASCII but `"` and `\`, separated by single spaces. */
const SCOPE_VALUE = /^[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*$/;

const BASIC = /^basic +([A-Za-z0-9+/]*={0,2}) *$/i;

/** Whether a Content-Type header names a form body, whatever its parameters. */
export function isFormMediaType(contentType: string | undefined): boolean {
  return contentType?.split(';', 1)[0].trim().toLowerCase() === FORM_MEDIA_TYPE;
}

/** Reads a client-credentials token request; throws a TokenEndpointError naming the first rule it breaks. */
export function parseTokenRequest(form: unknown, authorization: string | undefined): TokenRequest {
  const parameters = formParameters(form);
  const grantType = parameters.get('grant_type');
  if (grantType === undefined) throw invalidRequest('grant_type is required');
  if (grantType !== CLIENT_CREDENTIALS) {
    throw new TokenEndpointError('unsupported_grant_type', 'only the client_credentials grant is supported');
  }
  const scope = parameters.get('scope');
  return {
    ...clientCredentials(parameters, authorization),
    scopes: scope === undefined ? undefined : scopesOf(scope),
  };
}

/** The form's parameters with a value; a repeated one is refused, whatever its name. */
function formParameters(form: unknown): Map<string, string> {
  const parameters = new Map<string, string>();
  if (form === undefined || form === null) return parameters;
  if (typeof form !== 'object' || Array.isArray(form)) throw invalidRequest('the body must be a form');
  const repeated: string[] = [];
  for (const [name, value] of Object.entries(form)) {
    if (Array.isArray(value)) repeated.push(name);
    else if (typeof value !== 'string') throw invalidRequest('the body must be a form');
    else if (value !== '') parameters.set(name, value);
  }
  if (repeated.length > 0) {
    const named = repeated.filter((name) => KNOWN_PARAMETERS.has(name));
    throw invalidRequest(
      named.length > 0
        ? `${named.join(', ')} must not be repeated`
        : 'a request parameter must not be repeated',
    );
  }
  return parameters;
}

function clientCredentials(
  parameters: Map<string, string>,
  authorization: string | undefined,
): Omit<TokenRequest, 'scopes'> {
  const bodyId = parameters.get('client_id');
  const bodySecret = parameters.get('client_secret');
  if (authorization !== undefined) {
    if (bodySecret !== undefined) {
      throw invalidRequest('authenticate with one method only: HTTP Basic or client_secret in the body');
    }
    const basic = basicCredentials(authorization);
    if (basic === undefined) {
      throw new TokenEndpointError(
        'invalid_client',
        'authenticate with HTTP Basic (client_secret_basic) or in the body (client_secret_post)',
      );
    }
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw invalidRequest('client_id in the body does not match the Authorization header');
    }
    return { ...basic, authMethod: 'client_secret_basic' };
  }
  if (bodyId === undefined || bodySecret === undefined) {
    throw new TokenEndpointError('invalid_client', 'client authentication is missing');
  }
  return { clientId: bodyId, clientSecret: bodySecret, authMethod: 'client_secret_post' };
}

/**
 * The client id and secret of an HTTP Basic header; undefined when the header is of another scheme. Base64 must
 * be canonical and the text UTF-8, and each half is form-urldecoded (RFC 6749 §2.3.1).
 */
function basicCredentials(header: string): { clientId: string; clientSecret: string } | undefined {
  const match = BASIC.exec(header);
  if (!match) {
    if (/^basic(?: |$)/i.test(header)) throw invalidRequest('the Basic credentials are malformed');
    return undefined;
  }
  const encoded = match[1];
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
    throw invalidRequest('the Basic credentials are not base64');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidRequest('the Basic credentials are not UTF-8');
  }
  const colon = text.indexOf(':');
  if (colon < 0) throw invalidRequest('the Basic credentials must be client_id:client_secret');
  return { clientId: formDecode(text.slice(0, colon)), clientSecret: formDecode(text.slice(colon + 1)) };
}

/** application/x-www-form-urlencoded decoding of one value: `+` is a space, `%XX` a UTF-8 byte. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw invalidRequest('the Basic credentials are not form-urlencoded');
  }
}

/** The distinct scope-tokens of a `scope` value, in order. */
function scopesOf(scope: string): string[] {
  if (!SCOPE_VALUE.test(scope)) {
    throw new TokenEndpointError('invalid_scope', 'scope must be scope names separated by single spaces');
  }
  return [...new Set(scope.split(' '))];
}

function invalidRequest(description: string): TokenEndpointError {
  return new TokenEndpointError('invalid_request', description);
}
