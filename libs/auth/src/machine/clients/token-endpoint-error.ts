import { HttpException } from '@nestjs/common';

/** The error codes the token endpoint answers with: RFC 6749 §5.2's, and RFC 9449 §5's for a bad DPoP proof. */
export type TokenErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

/** The realm a client authenticating with HTTP Basic is challenged in. */
export const BASIC_REALM = 'gatehouse';

/** An RFC 6749 §5.2 error body: what OAuth client libraries parse, instead of Nest's error shape. */
export interface TokenErrorBody {
  error: TokenErrorCode;
  error_description: string;
}

/**
 * A refused token request, answered as RFC 6749 §5.2 says: `{error, error_description}` (the global error filter
 * sends `answer` as it is), never cached. `invalid_client` is a 401 with a Basic challenge (RFC 6749 §5.2, and
 * RFC 9110 §15.5.2 wants a challenge on every 401); every other code is a 400. `description` is ASCII without
 * quotes or backslashes, as the RFC allows, and never holds what the client sent.
 */
export class TokenEndpointError extends HttpException {
  readonly answer: TokenErrorBody;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: TokenErrorCode, description: string, extraHeaders: Record<string, string> = {}) {
    const status = code === 'invalid_client' ? 401 : 400;
    super(description, status);
    this.answer = { error: code, error_description: description };
    this.headers = {
      'Cache-Control': 'no-store',
      Pragma: 'no-cache',
      ...(status === 401 ? { 'WWW-Authenticate': `Basic realm="${BASIC_REALM}"` } : {}),
      ...extraHeaders,
    };
  }
}
