import { createHmac, KeyObject, sign, timingSafeEqual } from 'node:crypto';
import { AccessAlgorithm } from '../keys/key-material';

const DIGESTS: Record<AccessAlgorithm, string> = {
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  RS256: 'sha256',
};

/** A JWS segment: the value's JSON, base64url-encoded (RFC 7515 §3). */
export function segment(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * The compact JWS of `signingInput` (`<header>.<payload>`) with an access-token key. ECDSA signatures are the
 * fixed-length `r || s` JWS asks for (RFC 7518 §3.4), not DER.
 */
export function signAsymmetric(signingInput: string, algorithm: AccessAlgorithm, key: KeyObject): string {
  const signature = sign(
    DIGESTS[algorithm],
    Buffer.from(signingInput),
    algorithm === 'RS256' ? key : { key, dsaEncoding: 'ieee-p1363' },
  );
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** HS256 over `signingInput`, base64url. */
export function hs256(signingInput: string, secret: KeyObject): string {
  return createHmac('sha256', secret).update(signingInput).digest('base64url');
}

/** Whether `signature` is the HS256 of `signingInput`, compared in constant time. */
export function hs256Matches(signingInput: string, signature: string, secret: KeyObject): boolean {
  const expected = Buffer.from(hs256(signingInput, secret));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
