import { createHash } from 'node:crypto';

/**
 * What the database keeps of a machine credential's secret (an API key, a client secret): its SHA-256. Each
 * secret is 256 random bits, so a fast hash is as safe as a slow one (there is nothing to guess), and checking it
 * costs microseconds where argon2 would cost the request.
 */
export function secretHash(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}
