import { createHash, randomUUID } from 'node:crypto';
import type * as Jose from 'jose';

// jose is ESM-only: Jest's module loader cannot require it, a native dynamic import can.
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(
  specifier: string,
) => Promise<T>;
let jose: typeof Jose | undefined;
async function loadJose(): Promise<typeof Jose> {
  jose ??= await importEsm<typeof Jose>('jose');
  return jose;
}

export interface ProofOptions {
  accessToken?: string;
  nonce?: string;
  /** Seconds since the epoch; now by default. */
  iat?: number;
  jti?: string;
  /** Overrides of the header and claims, to build proofs that must fail. */
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

/**
 * A client's DPoP key pair, made and used with jose (an implementation independent of the server's): it signs
 * proofs for a method and URL, and knows its RFC 7638 thumbprint.
 */
export class DpopKey {
  private constructor(
    readonly alg: string,
    private readonly privateKey: Jose.CryptoKey,
    readonly publicJwk: Jose.JWK,
    readonly jkt: string,
  ) {}

  static async generate(alg = 'ES256'): Promise<DpopKey> {
    const { generateKeyPair, exportJWK, calculateJwkThumbprint } = await loadJose();
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    return new DpopKey(alg, privateKey, publicJwk, await calculateJwkThumbprint(publicJwk, 'sha256'));
  }

  /** The private JWK, for a test that puts it where only the public one belongs. */
  async privateJwk(): Promise<Jose.JWK> {
    return (await loadJose()).exportJWK(this.privateKey);
  }

  async proof(method: string, url: string, options: ProofOptions = {}): Promise<string> {
    const { SignJWT } = await loadJose();
    const claims: Record<string, unknown> = {
      htm: method,
      htu: url,
      jti: options.jti ?? randomUUID(),
      iat: options.iat ?? Math.floor(Date.now() / 1000),
      ...(options.accessToken ? { ath: ath(options.accessToken) } : {}),
      ...(options.nonce ? { nonce: options.nonce } : {}),
      ...options.claims,
    };
    return new SignJWT(claims)
      .setProtectedHeader({
        alg: this.alg,
        typ: 'dpop+jwt',
        jwk: this.publicJwk,
        ...options.header,
      })
      .sign(this.privateKey);
  }
}

/** base64url(SHA-256(access token)), as a proof's `ath` names the token it goes with. */
export function ath(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url');
}

/** An unsigned JWT (`alg: none`) with a proof's header and claims, for the test that it is refused. */
export function unsignedProof(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ ...header, alg: 'none' })}.${part(claims)}.`;
}
