import type { ErrorDto } from './api-types.js';

/** The `error` of a bearer challenge from a route that wants a more recent sign-in, or one with a second factor. */
export const INSUFFICIENT_USER_AUTHENTICATION = 'insufficient_user_authentication';

/** What a `WWW-Authenticate: Bearer …` challenge (RFC 6750, RFC 9470) says, as far as the client reads it. */
export interface BearerChallenge {
  error?: string;
  errorDescription?: string;
  /** RFC 9470 `max_age`: the route wants a sign-in at most this many seconds old. */
  maxAge?: number;
}

/** The parameters of a `WWW-Authenticate` challenge of `scheme` (`Bearer`, `DPoP`), or undefined when none. */
function challengeParameters(response: Response, scheme: string): Map<string, string> | undefined {
  const header = response.headers.get('WWW-Authenticate');
  const start = new RegExp(`^\\s*${scheme}\\b`, 'i');
  if (!header || !start.test(header)) return undefined;
  const parameters = new Map<string, string>();
  // auth-param = token "=" ( token / quoted-string ); a quoted string may hold escaped characters.
  const pattern = /([A-Za-z0-9_!#$%&'*+.^`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/g;
  for (const match of header.replace(start, '').matchAll(pattern)) {
    const name = match[1].toLowerCase();
    if (!parameters.has(name)) parameters.set(name, match[2]?.replace(/\\(.)/g, '$1') ?? match[3]);
  }
  return parameters;
}

/** The parameters of a `WWW-Authenticate: Bearer …` header, or undefined when the answer has none. */
export function bearerChallengeOf(response: Response): BearerChallenge | undefined {
  const parameters = challengeParameters(response, 'Bearer');
  if (parameters === undefined) return undefined;
  const maxAge = Number(parameters.get('max_age'));
  return {
    error: parameters.get('error'),
    errorDescription: parameters.get('error_description'),
    maxAge: parameters.has('max_age') && Number.isInteger(maxAge) && maxAge >= 0 ? maxAge : undefined,
  };
}

/**
 * The `error` of a `WWW-Authenticate: DPoP …` refusal (RFC 9449 §7.1): `invalid_dpop_proof`, `use_dpop_nonce` or
 * `invalid_token`; undefined when the answer is no such refusal.
 */
export function dpopErrorOf(response: Response): string | undefined {
  return challengeParameters(response, 'DPoP')?.get('error');
}

/**
 * A non-2xx answer from the API, with its Nest error body when there is one, and the `error` of its
 * `WWW-Authenticate: Bearer` challenge (RFC 6750) when it has one the page may read: `invalid_token`, or
 * `insufficient_user_authentication` (RFC 9470) from a route that wants a more recent sign-in (`maxAge` says how
 * recent) or a session begun with a second factor.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorDto | undefined,
    readonly bearerError?: string,
    /** RFC 9470 `max_age` of the challenge: the route wants a sign-in at most this many seconds old. */
    readonly maxAge?: number,
  ) {
    const detail = body ? [body.message].flat().join('; ') : undefined;
    super(detail ? `${status}: ${detail}` : `the API answered ${status}`);
    this.name = 'ApiError';
  }

  /**
   * A 401 that no refresh can cure: the session is fine, but the route wants the user to prove who they are
   * again (`reauthenticate()`): a sign-in more recent than `maxAge` seconds, or a second factor.
   */
  get needsReauthentication(): boolean {
    return this.bearerError === INSUFFICIENT_USER_AUTHENTICATION;
  }

  /** The same, from a route that wants a session with a second factor (no `max_age`): a code or a passkey. */
  get needsSecondFactor(): boolean {
    return this.needsReauthentication && this.maxAge === undefined;
  }

  static async from(response: Response): Promise<ApiError> {
    let body: ErrorDto | undefined;
    try {
      body = (await response.json()) as ErrorDto;
    } catch {
      body = undefined;
    }
    const challenge = bearerChallengeOf(response);
    return new ApiError(response.status, body, challenge?.error, challenge?.maxAge);
  }
}
