import { createHash, createPublicKey, KeyObject, verify as verifySignature } from 'node:crypto';

/**
 * Checks an RFC 9449 proof with node's own crypto, synchronously: this runs on every request of a bound session,
 * where WebCrypto's asynchronous path (jose's) measured twice the cost per proof. The checks follow RFC 9449 §4.3;
 * the tests make their proofs with jose, an independent implementation.
 */

/** The asymmetric algorithms a proof may be signed with (never `none`, never an HMAC). */
export const DPOP_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'EdDSA',
] as const;
type DpopAlgorithm = (typeof DPOP_ALGORITHMS)[number];

/** Why a proof was refused: `code` is what the client is told (RFC 9449 §12.2), `reason` what the log says. */
export class DpopProofError extends Error {
  constructor(
    readonly reason: string,
    readonly code: 'invalid_dpop_proof' | 'use_dpop_nonce' = 'invalid_dpop_proof',
  ) {
    super(`DPoP proof refused: ${reason}`);
  }
}

export interface ProofExpectations {
  /** The request's method. */
  readonly method: string;
  /** The request's URL as reached through PUBLIC_URL, without query and fragment. */
  readonly url: string;
  /** The access token the request carries, whose hash the proof must name (`ath`); none at session start. */
  readonly accessToken?: string;
  /** Seconds a proof's `iat` may be from `nowSeconds`, either way. */
  readonly maxAge: number;
  readonly nowSeconds: number;
  /** Whether the proof's `nonce` is one the server issued lately; absent when nonces are off. */
  readonly nonceIsValid?: (nonce: unknown) => boolean;
}

export interface CheckedProof {
  /** The RFC 7638 thumbprint of the proof's key: what a bound token names in `cnf.jkt`. */
  readonly jkt: string;
  readonly jti: string;
  readonly iat: number;
}

const MAX_PROOF_LENGTH = 8192;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const CURVE_OF: Partial<Record<DpopAlgorithm, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };
const HASH_OF: Record<DpopAlgorithm, string | null> = {
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
  RS256: 'sha256',
  EdDSA: null,
};

interface KnownKey {
  readonly key: KeyObject;
  readonly jkt: string;
}

interface KnownHeader extends KnownKey {
  readonly alg: DpopAlgorithm;
}

/**
 * Proof headers already checked (typ, alg, a public key that fits it), by their exact base64url text: a client
 * proves every request with the same header, so a hit skips the parsing and the key import.
 */
const knownHeaders = new Map<string, KnownHeader>();
const MAX_KNOWN_HEADERS = 10_000;

function decodeJson(part: string): Record<string, unknown> {
  const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new DpopProofError('not_json');
  return value as Record<string, unknown>;
}

/** RFC 7638: SHA-256 over the required members, in lexical order, without white space. */
export function jwkThumbprint(jwk: Record<string, unknown>): string {
  const members: Record<string, string[]> = {
    EC: ['crv', 'kty', 'x', 'y'],
    RSA: ['e', 'kty', 'n'],
    OKP: ['crv', 'kty', 'x'],
  };
  const names = members[jwk.kty as string];
  if (!names) throw new DpopProofError('unsupported_key_type');
  const canonical: Record<string, unknown> = {};
  for (const name of names) {
    if (typeof jwk[name] !== 'string') throw new DpopProofError('incomplete_jwk');
    canonical[name] = jwk[name];
  }
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}

function publicKeyOf(jwk: unknown, alg: DpopAlgorithm): KnownKey {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new DpopProofError('no_jwk');
  const fields = jwk as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((member) => member in fields)) throw new DpopProofError('private_jwk');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: fields as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch {
    throw new DpopProofError('bad_jwk');
  }
  const known = { key, jkt: jwkThumbprint(fields) };
  const type = known.key.asymmetricKeyType;
  const fits =
    (alg.startsWith('ES') &&
      type === 'ec' &&
      known.key.asymmetricKeyDetails?.namedCurve === namedCurve(CURVE_OF[alg])) ||
    ((alg.startsWith('PS') || alg === 'RS256') &&
      (type === 'rsa' || type === 'rsa-pss') &&
      (known.key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) ||
    (alg === 'EdDSA' && type === 'ed25519');
  if (!fits) throw new DpopProofError('key_does_not_fit_alg');
  return known;
}

/** node names the curves by their OpenSSL names. */
function namedCurve(jose: string | undefined): string | undefined {
  return { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' }[jose ?? ''];
}

function signatureHolds(
  alg: DpopAlgorithm,
  key: KeyObject,
  signingInput: string,
  signature: Buffer,
): boolean {
  const data = Buffer.from(signingInput, 'ascii');
  if (alg.startsWith('ES'))
    return verifySignature(HASH_OF[alg], data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  if (alg.startsWith('PS')) {
    return verifySignature(
      HASH_OF[alg],
      data,
      { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: -1 },
      signature,
    );
  }
  return verifySignature(HASH_OF[alg], data, key, signature);
}

/** The checked header of a proof: from the cache, or parsed, checked and remembered. */
function headerOf(headerPart: string): KnownHeader {
  const cached = knownHeaders.get(headerPart);
  if (cached) return cached;
  let header: Record<string, unknown>;
  try {
    header = decodeJson(headerPart);
  } catch {
    throw new DpopProofError('not_json');
  }
  if (header.typ !== 'dpop+jwt') throw new DpopProofError('wrong_typ');
  const alg = header.alg as DpopAlgorithm;
  if (!DPOP_ALGORITHMS.includes(alg)) throw new DpopProofError('alg_not_allowed');
  const known = { ...publicKeyOf(header.jwk, alg), alg };
  if (knownHeaders.size >= MAX_KNOWN_HEADERS) knownHeaders.delete(knownHeaders.keys().next().value!);
  knownHeaders.set(headerPart, known);
  return known;
}

/** The URL a proof's `htu` names, without query and fragment, as a comparable string; undefined if none. */
export function comparableUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 4096) return undefined;
  try {
    const url = new URL(value);
    return `${url.origin}${url.pathname}`;
  } catch {
    return undefined;
  }
}

export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** Checks one proof against what the request is; throws a DpopProofError naming the first check it fails. */
export function checkProof(proof: string, expect: ProofExpectations): CheckedProof {
  if (proof.length > MAX_PROOF_LENGTH) throw new DpopProofError('too_long');
  const parts = proof.split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]+$/.test(part))) {
    throw new DpopProofError('not_a_jws');
  }
  const [headerPart, payloadPart, signaturePart] = parts;
  const { alg, key, jkt } = headerOf(headerPart);
  let claims: Record<string, unknown>;
  try {
    claims = decodeJson(payloadPart);
  } catch {
    throw new DpopProofError('not_json');
  }
  let holds: boolean;
  try {
    holds = signatureHolds(alg, key, `${headerPart}.${payloadPart}`, Buffer.from(signaturePart, 'base64url'));
  } catch {
    holds = false;
  }
  if (!holds) throw new DpopProofError('bad_signature');

  if (claims.htm !== expect.method) throw new DpopProofError('wrong_htm');
  // The common case is the very string the server expects; anything else is compared once normalised.
  if (claims.htu !== expect.url && comparableUrl(claims.htu) !== comparableUrl(expect.url)) {
    throw new DpopProofError('wrong_htu');
  }
  const { iat, jti } = claims;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new DpopProofError('no_iat');
  if (iat < expect.nowSeconds - expect.maxAge) throw new DpopProofError('iat_too_old');
  if (iat > expect.nowSeconds + expect.maxAge) throw new DpopProofError('iat_in_the_future');
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw new DpopProofError('bad_jti');
  if (expect.accessToken !== undefined && claims.ath !== accessTokenHash(expect.accessToken)) {
    throw new DpopProofError('wrong_ath');
  }
  if (expect.nonceIsValid && !expect.nonceIsValid(claims.nonce)) {
    throw new DpopProofError(claims.nonce === undefined ? 'nonce_missing' : 'nonce_stale', 'use_dpop_nonce');
  }
  return { jkt, jti, iat };
}
