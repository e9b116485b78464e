/** base64url without padding (RFC 4648 §5), as JOSE writes bytes. */
export function base64url(bytes: ArrayBuffer | Uint8Array): string {
  let binary = '';
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** The claims of a JWT, read without verifying it (the server verifies; the client only reads its own token). */
export function jwtClaims(token: string): Record<string, unknown> {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims: unknown = JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, '=')));
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Whether an access token is bound to a DPoP key (`cnf.jkt`, RFC 9449 §6.1): it goes as `DPoP`, with a proof. */
export function isDpopBound(token: string): boolean {
  const { cnf } = jwtClaims(token);
  return typeof cnf === 'object' && cnf !== null && typeof (cnf as { jkt?: unknown }).jkt === 'string';
}
