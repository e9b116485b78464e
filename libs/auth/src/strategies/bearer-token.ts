/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 6750), or undefined.
 *
 * Read in one pass, never by a backtracking pattern: passport-jwt's own extractor splits the header with
 * `/(\S+)\s+(\S+)/`, which takes time quadratic in a header with no space (half a second for the 16 KB a request
 * may carry), so a client could hold the event loop with a few requests a second.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ')
    return undefined;
  const token = header.slice(7).trim();
  return token === '' ? undefined : token;
}

/** An access token as a request presents it: `Bearer <token>`, or `DPoP <token>` with a proof (RFC 9449 §7). */
export interface PresentedToken {
  readonly scheme: 'bearer' | 'dpop';
  readonly token: string;
}

/** The token of an `Authorization: Bearer …` or `DPoP …` header, read in one pass like bearerToken. */
export function presentedToken(header: string | undefined): PresentedToken | undefined {
  const bearer = bearerToken(header);
  if (bearer !== undefined) return { scheme: 'bearer', token: bearer };
  if (header === undefined || header.length < 6 || header.slice(0, 5).toLowerCase() !== 'dpop ')
    return undefined;
  const token = header.slice(5).trim();
  return token === '' ? undefined : { scheme: 'dpop', token };
}
