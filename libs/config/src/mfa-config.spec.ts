import { ConfigError } from './config-error';
import { loadConfig } from './load-config';
import { decodeEncryptionKey } from './mfa-config';

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig: second factor', () => {
  it('has no key of its own outside production (a development key is made), the Gatehouse issuer and 10 per 15 min', () => {
    const config = loadConfig({});
    expect(config.mfa).toEqual({ encryptionKey: undefined, totpIssuer: 'Gatehouse', adminRequireMfa: false });
    expect(config.throttle.mfa).toEqual({ limit: 10, ttl: 900 });
  });

  it('reads a key in hex or base64, both alphabets', () => {
    const key = Buffer.alloc(32, 7);
    for (const text of [key.toString('hex'), key.toString('base64'), key.toString('base64url')]) {
      expect(loadConfig({ MFA_ENCRYPTION_KEY: text }).mfa.encryptionKey).toEqual(key);
    }
    expect(decodeEncryptionKey(`  ${key.toString('hex')}\n`)).toEqual(key);
  });

  it.each(['short', 'ab'.repeat(31), 'ab'.repeat(33), Buffer.alloc(31).toString('base64'), 'z'.repeat(64)])(
    'refuses the key %p naming MFA_ENCRYPTION_KEY',
    (text) => {
      expect(problemsOf({ MFA_ENCRYPTION_KEY: text })).toContain('MFA_ENCRYPTION_KEY must be 32 bytes');
    },
  );

  it('refuses production without a key, naming it', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toContain('MFA_ENCRYPTION_KEY');
  });

  it('reads the issuer, the admin requirement and the limit', () => {
    const config = loadConfig({
      MFA_TOTP_ISSUER: 'Acme',
      ADMIN_REQUIRE_MFA: 'true',
      THROTTLE_MFA_LIMIT: '3',
      THROTTLE_MFA_TTL: '5m',
    });
    expect(config.mfa.totpIssuer).toBe('Acme');
    expect(config.mfa.adminRequireMfa).toBe(true);
    expect(config.throttle.mfa).toEqual({ limit: 3, ttl: 300 });
    expect(problemsOf({ MFA_TOTP_ISSUER: 'a:b' })).toContain('MFA_TOTP_ISSUER');
  });
});
