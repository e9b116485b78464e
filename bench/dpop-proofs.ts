import { createHash, generateKeyPairSync, KeyObject, randomUUID, sign } from 'node:crypto';

/** Where the bench server says it is reached (PUBLIC_URL): every proof's `htu` names this origin. */
export const BENCH_PUBLIC_URL = 'https://bench.gatehouse.test';

/**
 * A load generator's DPoP key: proofs are made before a measured run (each used once, as a client's are), so
 * the run measures the server's check only.
 */
export class BenchDpopKey {
  private readonly privateKey: KeyObject;
  private readonly header: string;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    this.header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk })).toString('base64url');
  }

  proof(method: string, path: string, accessToken?: string): string {
    const claims: Record<string, unknown> = {
      htm: method,
      htu: `${BENCH_PUBLIC_URL}${path}`,
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
    };
    if (accessToken) claims.ath = createHash('sha256').update(accessToken).digest('base64url');
    const input = `${this.header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = sign('sha256', Buffer.from(input), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }
}
