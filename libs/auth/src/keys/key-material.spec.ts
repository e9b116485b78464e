import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { algorithmFor, pemBlocks, thumbprint } from './key-material';

describe('key material', () => {
  it('computes the RFC 7638 thumbprint (the RFC’s own example key)', () => {
    const key = createPublicKey({
      format: 'jwk',
      key: {
        kty: 'RSA',
        e: 'AQAB',
        n:
          '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs' +
          'tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5' +
          'hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      },
    });
    expect(thumbprint(key)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('pins each key to one algorithm derived from the key itself', () => {
    expect(algorithmFor(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)).toBe('ES256');
    expect(algorithmFor(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey)).toBe('ES384');
    expect(algorithmFor(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)).toBe('RS256');
    expect(() => algorithmFor(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey)).toThrow();
    expect(() => algorithmFor(generateKeyPairSync('ed25519').publicKey)).toThrow();
  });

  it('splits a bundle of PEM public keys', () => {
    const pem = () =>
      generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .publicKey.export({ format: 'pem', type: 'spki' })
        .toString();
    expect(pemBlocks(`${pem()}\n${pem()}`)).toHaveLength(2);
    expect(pemBlocks('no keys here')).toHaveLength(0);
  });
});
