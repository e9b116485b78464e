import { createHash, randomBytes } from 'node:crypto';

/** The shape of a token we issue: 32 random bytes, base64url. Anything else is refused without a query. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A new invitation token and the SHA-256 (hex) that is all the database keeps of it. */
export function newInvitationToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: invitationTokenHash(token) };
}

export function invitationTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function isInvitationTokenShaped(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}
