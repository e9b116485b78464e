import { loadConfig } from '@gatehouse/config';
import { MfaSecrets } from './mfa-secrets';

const KEY = 'a'.repeat(64);
const secrets = (key = KEY) => new MfaSecrets(loadConfig({ MFA_ENCRYPTION_KEY: key }));
const ALICE = '0b6c1f0e-0000-4000-8000-000000000001';
const BOB = '0b6c1f0e-0000-4000-8000-000000000002';

describe('MfaSecrets', () => {
  it('encrypts a TOTP secret that only the same key and the same user decrypt', () => {
    const stored = secrets().encrypt(ALICE, 'JBSWY3DPEHPK3PXP');
    expect(stored).not.toContain('JBSWY3DPEHPK3PXP');
    expect(secrets().decrypt(ALICE, stored)).toBe('JBSWY3DPEHPK3PXP');
    expect(secrets().decrypt(BOB, stored)).toBeUndefined();
    expect(secrets('b'.repeat(64)).decrypt(ALICE, stored)).toBeUndefined();
    const parts = stored.split('.');
    // The first character of a base64url run carries six whole bits: changing it changes the bytes.
    parts[2] = (parts[2][0] === 'A' ? 'B' : 'A') + parts[2].slice(1);
    expect(secrets().decrypt(ALICE, parts.join('.'))).toBeUndefined();
    expect(secrets().decrypt(ALICE, 'garbage')).toBeUndefined();
  });

  it('draws a new nonce each time', () => {
    expect(secrets().encrypt(ALICE, 'x')).not.toBe(secrets().encrypt(ALICE, 'x'));
  });

  it('hashes recovery codes per user and per key, ignoring dashes and case', () => {
    const hash = secrets().recoveryCodeHash(ALICE, 'abcd-ef01-2345-6789');
    expect(secrets().recoveryCodeHash(ALICE, 'ABCDEF0123456789')).toBe(hash);
    expect(secrets().recoveryCodeHash(BOB, 'abcd-ef01-2345-6789')).not.toBe(hash);
    expect(secrets('b'.repeat(64)).recoveryCodeHash(ALICE, 'abcd-ef01-2345-6789')).not.toBe(hash);
  });
});
