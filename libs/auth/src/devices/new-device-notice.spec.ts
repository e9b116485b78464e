import { AuthMethod } from '../tokens/token-types';
import { newDeviceNotice } from './new-device-notice';

const provenWith = (amr: AuthMethod[]): string | undefined =>
  /^Signed in with: (.*)$/m.exec(
    newDeviceNotice('ada@example.com', { at: new Date(0), client: { ip: '203.0.113.7' }, amr }).text,
  )?.[1];

describe('the new-device notice says how the sign-in was proven', () => {
  it.each<[AuthMethod[], string]>([
    [['pwd'], 'the password'],
    [['pwd', 'otp', 'mfa'], 'the password and a code from the authenticator app'],
    [['pwd', 'mfa'], 'the password and a recovery code'],
    [['fed', 'otp', 'mfa'], 'a sign-in provider and a code from the authenticator app'],
    [['hwk', 'user', 'mfa'], 'a passkey'],
    [['otp'], 'a code sent by email'],
    [['otp', 'mfa'], 'a code sent by email and a second factor'],
    [[], 'an unknown method'],
  ])('%j: %s', (amr, words) => {
    expect(provenWith(amr)).toBe(words);
  });
});
