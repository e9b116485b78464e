import { createSecretKey, generateKeyPairSync, sign } from 'node:crypto';
import { KeyService } from '../keys/key.service';
import { DpopNonces } from './dpop-nonces';
import { accessTokenHash, checkProof, DpopProofError, jwkThumbprint } from './dpop-proof';

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function proofWith(claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const input = `${part({ typ: 'dpop+jwt', alg: 'ES256', jwk, ...header })}.${part(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return { proof: `${input}.${signature.toString('base64url')}`, jwk };
}

const NOW = 1_800_000_000;
const expect200 = { method: 'GET', url: 'https://api.example.com/api/users/me', maxAge: 60, nowSeconds: NOW };

describe('checkProof', () => {
  const claims = { htm: 'GET', htu: 'https://api.example.com/api/users/me?x=1', iat: NOW, jti: 'one' };

  it('accepts an honest proof and names its key by its RFC 7638 thumbprint', () => {
    const { proof, jwk } = proofWith(claims);
    expect(checkProof(proof, expect200)).toEqual({
      jkt: jwkThumbprint(jwk as Record<string, unknown>),
      jti: 'one',
      iat: NOW,
    });
  });

  it.each([
    ['another method', { ...claims, htm: 'POST' }, 'wrong_htm'],
    ['another path', { ...claims, htu: 'https://api.example.com/api/notes' }, 'wrong_htu'],
    ['another origin', { ...claims, htu: 'http://api.example.com/api/users/me' }, 'wrong_htu'],
    ['an iat past the window', { ...claims, iat: NOW - 61 }, 'iat_too_old'],
    ['an iat ahead of the window', { ...claims, iat: NOW + 61 }, 'iat_in_the_future'],
    ['no jti', { ...claims, jti: undefined }, 'bad_jti'],
  ])('refuses %s', (_name, bad, reason) => {
    expect(() => checkProof(proofWith(bad).proof, expect200)).toThrow(new DpopProofError(reason));
  });

  it('checks ath against the access token sent with it', () => {
    const { proof } = proofWith({ ...claims, ath: accessTokenHash('the.access.token') });
    expect(checkProof(proof, { ...expect200, accessToken: 'the.access.token' }).jti).toBe('one');
    expect(() => checkProof(proof, { ...expect200, accessToken: 'another.access.token' })).toThrow(
      new DpopProofError('wrong_ath'),
    );
  });

  it('refuses another typ, an algorithm off the list, and a private key in the header', () => {
    expect(() => checkProof(proofWith(claims, { typ: 'JWT' }).proof, expect200)).toThrow(
      new DpopProofError('wrong_typ'),
    );
    expect(() => checkProof(proofWith(claims, { alg: 'HS256' }).proof, expect200)).toThrow(
      new DpopProofError('alg_not_allowed'),
    );
    expect(() => checkProof(proofWith(claims, { jwk: { kty: 'EC', d: 'secret' } }).proof, expect200)).toThrow(
      new DpopProofError('private_jwk'),
    );
  });

  it('refuses a signature that does not hold, and what is no JWS', () => {
    const { proof } = proofWith(claims);
    const tampered = `${proof.slice(0, -4)}AAAA`;
    expect(() => checkProof(tampered, expect200)).toThrow(new DpopProofError('bad_signature'));
    for (const junk of ['', 'a.b', 'a.b.c.d', '!!.??.**', 'x'.repeat(9000)]) {
      expect(() => checkProof(junk, expect200)).toThrow(DpopProofError);
    }
  });

  it('asks for a nonce (use_dpop_nonce) when the server wants one', () => {
    const { proof } = proofWith(claims);
    expect(() => checkProof(proof, { ...expect200, nonceIsValid: () => false })).toThrow(
      new DpopProofError('nonce_missing', 'use_dpop_nonce'),
    );
  });
});

describe('jwkThumbprint', () => {
  it('matches RFC 7638 §3.1', () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });
});

describe('DpopNonces', () => {
  // KeyService's own derivation, over two different refresh secrets.
  const withSecret = (fill: number) =>
    Object.assign(Object.create(KeyService.prototype) as KeyService, {
      refreshSecret: createSecretKey(Buffer.alloc(32, fill)),
    });
  const keys = withSecret(7);
  const other = withSecret(8);
  const at = Date.UTC(2026, 11, 7, 12, 0, 30);

  it('accepts its own nonce for five minutes, on any instance with the same keys', () => {
    const nonce = new DpopNonces(keys).current(at);
    expect(new DpopNonces(keys).isValid(nonce, at + 4 * 60_000)).toBe(true);
    expect(new DpopNonces(keys).isValid(nonce, at + 5 * 60_000)).toBe(false);
  });

  it('refuses another key’s nonce, a future one and junk', () => {
    expect(new DpopNonces(keys).isValid(new DpopNonces(other).current(at), at)).toBe(false);
    expect(new DpopNonces(keys).isValid(new DpopNonces(keys).current(at + 120_000), at)).toBe(false);
    for (const junk of [undefined, 42, '', 'x'.repeat(100), 'AAAA'])
      expect(new DpopNonces(keys).isValid(junk, at)).toBe(false);
  });
});
