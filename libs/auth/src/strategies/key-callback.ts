import { KeyObject } from 'node:crypto';

/** passport-jwt's key callback. Its types say string or Buffer; jsonwebtoken takes a KeyObject too. */
export type KeyCallback = (error: unknown, key?: string | Buffer) => void;

/**
 * Hands jsonwebtoken a parsed KeyObject where the types of passport-jwt's callback or JwtService's `secret` say
 * string: given PEM text or a string secret instead, it would parse the key again on every call, which halves
 * the guard's throughput.
 */
export function keyForJwt(key: KeyObject): string {
  return key as unknown as string;
}
