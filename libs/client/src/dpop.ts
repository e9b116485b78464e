import { base64url, utf8 } from './encoding.js';

/** A WebCrypto key, as far as the client handles one: opaque, never exported (the public half excepted). */
export interface CryptoKeyLike {
  readonly type: string;
  readonly extractable: boolean;
}

/** The browser's `CryptoKeyPair`, kept in IndexedDB as it is (structured clone): the private half stays inside. */
export interface DpopKeyPair {
  readonly publicKey: CryptoKeyLike;
  readonly privateKey: CryptoKeyLike;
}

/** The public members of a P-256 key (RFC 7517), as `exportKey('jwk', …)` gives them, and as proofs carry them. */
export interface EcPublicJwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
}

/** The subset of `crypto.subtle` the client uses. */
export interface SubtleCryptoLike {
  generateKey(
    algorithm: { name: 'ECDSA'; namedCurve: 'P-256' },
    extractable: boolean,
    usages: string[],
  ): Promise<unknown>;
  exportKey(format: 'jwk', key: CryptoKeyLike): Promise<EcPublicJwk>;
  sign(
    algorithm: { name: 'ECDSA'; hash: 'SHA-256' },
    key: CryptoKeyLike,
    data: Uint8Array,
  ): Promise<ArrayBuffer>;
  digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer>;
}

/** The subset of the browser's `crypto` the client uses. */
export interface WebCryptoLike {
  readonly subtle: SubtleCryptoLike;
  getRandomValues(array: Uint8Array): Uint8Array;
}

/**
 * Where the browser profile keeps its one DPoP key pair (IndexedDB in a browser, see dpop-key-store.ts). Either
 * method rejects when the store cannot be used: the client then sends bearer tokens.
 */
export interface DpopKeyStore {
  /** The profile's key pair, or undefined when there is none yet. */
  get(): Promise<DpopKeyPair | undefined>;
  /**
   * Keeps `pair` unless the profile has one already, in one step: tabs racing to make the first key all end up
   * with the one kept, which this answers.
   */
  addIfAbsent(pair: DpopKeyPair): Promise<DpopKeyPair>;
}

/**
 * Whether requests carry DPoP proofs: `pending` until the key is first needed, `ready` once it is loaded,
 * `unavailable` where WebCrypto or IndexedDB are missing or failed (bearer tokens then), `refused` when the server
 * refused this page's proofs where it needs none (its PUBLIC_URL is not where the page reaches it, or this
 * device's clock is far off): bearer tokens for the rest of the page's life.
 */
export type DpopSupport = 'pending' | 'ready' | 'unavailable' | 'refused';

/** What a proof is about besides its method and URL. */
export interface ProofClaims {
  /** The access token sent with it (a resource request): the proof carries its hash as `ath`. */
  accessToken?: string;
}

interface LoadedKey {
  privateKey: CryptoKeyLike;
  jwk: EcPublicJwk;
  thumbprint: string;
}

/** IndexedDB that has not answered by then will not: the page goes on with bearer tokens rather than hang. */
const KEY_LOAD_TIMEOUT_MS = 5_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the key store did not answer')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const ES256_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ES256_SIGNATURE = { name: 'ECDSA', hash: 'SHA-256' } as const;

function isKeyPair(value: unknown): value is DpopKeyPair {
  if (typeof value !== 'object' || value === null) return false;
  const pair = value as Record<string, unknown>;
  return (
    typeof pair.privateKey === 'object' && pair.privateKey !== null && typeof pair.publicKey === 'object'
  );
}

/** RFC 7638: SHA-256 over the required members of the public key, in lexicographic order, base64url. */
export async function jwkThumbprint(subtle: SubtleCryptoLike, jwk: EcPublicJwk): Promise<string> {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return base64url(await subtle.digest('SHA-256', utf8(canonical)));
}

/**
 * The browser's proof of possession (RFC 9449): one non-extractable ES256 key pair per browser profile, made with
 * WebCrypto and kept in IndexedDB, loaded once per page; it signs a `dpop+jwt` per request and remembers the
 * server's latest `DPoP-Nonce`. A script in the page can still have it sign (it drives the live page); what it
 * cannot do is take the private key elsewhere.
 */
export class DpopProver {
  #key: Promise<LoadedKey | null> | null = null;
  #loaded: LoadedKey | null = null;
  #support: DpopSupport;
  #nonce: string | undefined;

  constructor(
    private readonly crypto: WebCryptoLike | null,
    private readonly store: DpopKeyStore | null,
    private readonly now: () => number,
  ) {
    this.#support = crypto === null || store === null ? 'unavailable' : 'pending';
  }

  get support(): DpopSupport {
    return this.#support;
  }

  /** The key's RFC 7638 thumbprint once it is loaded (`key()`), else null. */
  get thumbprint(): string | null {
    return this.#support === 'ready' ? (this.#loaded?.thumbprint ?? null) : null;
  }

  /** The latest `DPoP-Nonce` the server handed out, for the next proof. */
  get nonce(): string | undefined {
    return this.#nonce;
  }

  /** Keeps the `DPoP-Nonce` of any answer; true when it is a new one. */
  noteNonce(response: Response): boolean {
    const nonce = response.headers.get('DPoP-Nonce');
    if (!nonce || nonce === this.#nonce) return false;
    this.#nonce = nonce;
    return true;
  }

  /** The server cannot check this page's proofs: bearer tokens from now on. */
  refuse(): void {
    this.#support = 'refused';
  }

  /** The profile's key, made the first time any tab needs one; null when proofs are off (see `support`). */
  async key(): Promise<{ thumbprint: string } | null> {
    if (this.#support === 'unavailable' || this.#support === 'refused') return null;
    this.#key ??= withTimeout(this.#load(), KEY_LOAD_TIMEOUT_MS).catch(() => {
      // No IndexedDB after all (a private window, Safari's Lockdown Mode), or no P-256: bearer tokens.
      this.#support = 'unavailable';
      return null;
    });
    const key = await this.#key;
    return key && this.#support === 'ready' ? { thumbprint: key.thumbprint } : null;
  }

  /** A proof for one request to `htu` (its URL without query or fragment); null when proofs are off. */
  async proof(method: string, htu: string, claims: ProofClaims = {}): Promise<string | null> {
    if ((await this.key()) === null || this.#loaded === null || this.crypto === null) return null;
    const { subtle } = this.crypto;
    const { privateKey, jwk } = this.#loaded;
    const header = { typ: 'dpop+jwt', alg: 'ES256', jwk };
    const payload: Record<string, string | number> = {
      htm: method.toUpperCase(),
      htu,
      iat: Math.floor(this.now() / 1000),
      jti: base64url(this.crypto.getRandomValues(new Uint8Array(16))),
    };
    if (claims.accessToken !== undefined) {
      payload.ath = base64url(await subtle.digest('SHA-256', utf8(claims.accessToken)));
    }
    if (this.#nonce !== undefined) payload.nonce = this.#nonce;
    const signingInput = `${base64url(utf8(JSON.stringify(header)))}.${base64url(utf8(JSON.stringify(payload)))}`;
    // WebCrypto's ECDSA signature is already r || s, the form JWS wants (RFC 7518 §3.4).
    const signature = await subtle.sign(ES256_SIGNATURE, privateKey, utf8(signingInput));
    return `${signingInput}.${base64url(signature)}`;
  }

  async #load(): Promise<LoadedKey> {
    const { crypto, store } = this;
    if (crypto === null || store === null) throw new Error('no WebCrypto or no key store');
    let pair = await store.get();
    if (pair === undefined) {
      const made = await crypto.subtle.generateKey(ES256_KEY, false, ['sign', 'verify']);
      if (!isKeyPair(made)) throw new Error('WebCrypto made no key pair');
      pair = await store.addIfAbsent(made);
    }
    if (!isKeyPair(pair)) throw new Error('the key store holds something else');
    const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
    const jwk = { kty, crv, x, y };
    const loaded = { privateKey: pair.privateKey, jwk, thumbprint: await jwkThumbprint(crypto.subtle, jwk) };
    if (this.#support !== 'pending') return loaded; // Given up on (too slow) or refused meanwhile.
    this.#loaded = loaded;
    this.#support = 'ready';
    return loaded;
  }
}
