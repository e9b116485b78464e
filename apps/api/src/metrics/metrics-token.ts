import { bearerToken } from '@gatehouse/auth';
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether an `Authorization` header carries exactly `Bearer <token>`. Compared as digests, in constant time, so
 * neither the content nor the length of the token leaks through the time a refusal takes.
 */
export function presentsMetricsToken(header: string | undefined, token: string): boolean {
  const presented = bearerToken(header);
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token));
}
