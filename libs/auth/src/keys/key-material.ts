import { createHash, createPublicKey, KeyObject } from 'node:crypto';

export type AccessAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'RS256';

/** A public key that verifies access tokens, with the `kid` and algorithm it is pinned to. */
export interface VerificationKey {
  readonly kid: string;
  readonly algorithm: AccessAlgorithm;
  readonly publicKey: KeyObject;
}

const EC_ALGORITHMS: Record<string, AccessAlgorithm> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

/** The one algorithm a key may be used with, derived from the key itself so it can never be chosen by a token. */
export function algorithmFor(key: KeyObject): AccessAlgorithm {
  if (key.asymmetricKeyType === 'ec') {
    const algorithm = EC_ALGORITHMS[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (algorithm) return algorithm;
  }
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048)
    return 'RS256';
  throw new Error('must be an EC key on P-256, P-384 or P-521, or an RSA key of at least 2048 bits');
}

/** RFC 7638 JWK thumbprint: a kid that is the same wherever the same key is loaded. */
export function thumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const members =
    jwk.kty === 'EC'
      ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
      : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

export function verificationKey(publicKey: KeyObject): VerificationKey {
  const key = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  return { kid: thumbprint(key), algorithm: algorithmFor(key), publicKey: key };
}

/** Splits a PEM bundle into its blocks, so one setting can carry several previous public keys. */
export function pemBlocks(bundle: string): string[] {
  return bundle.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
}
