import { HttpException } from '@nestjs/common';
import { DPOP_ALGORITHMS } from './dpop-proof';

export type DpopErrorCode = 'invalid_dpop_proof' | 'use_dpop_nonce' | 'invalid_token';

/**
 * A request refused for its proof or its binding: 401 with `WWW-Authenticate: DPoP error="…", algs="…"` on a
 * route that takes a token (RFC 9449 §7.1), 400 on a route that starts a session (as a token endpoint answers,
 * §5). The body keeps Nest's shape, with the RFC's error code as its `error`; a fresh nonce rides along when the
 * server asked for one.
 */
export class DpopRefusal extends HttpException {
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: 400 | 401, code: DpopErrorCode, description: string, nonce?: string) {
    super({ statusCode: status, message: description, error: code }, status);
    const headers: Record<string, string> = {
      'WWW-Authenticate': `DPoP error="${code}", error_description="${description}", algs="${DPOP_ALGORITHMS.join(' ')}"`,
    };
    if (nonce) headers['DPoP-Nonce'] = nonce;
    this.headers = headers;
  }
}
