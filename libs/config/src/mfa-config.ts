import { EnvReader } from './env-reader';

/** 32 bytes written as 64 hex characters or in base64 (either alphabet, padded or not); undefined otherwise. */
export function decodeEncryptionKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === 32 ? key : undefined;
}

/**
 * MFA_ENCRYPTION_KEY (or _FILE): the AES-256 key that encrypts TOTP secrets at rest (unset outside production: a
 * development key under DATA_DIR; production refuses to start without one); MFA_TOTP_ISSUER, the name
 * authenticator apps show; ADMIN_REQUIRE_MFA, a second factor for every admin route.
 */
export function readMfa(
  env: EnvReader,
  production: boolean,
): { encryptionKey?: Buffer; totpIssuer: string; adminRequireMfa: boolean } {
  const source = env.keySource('MFA_ENCRYPTION_KEY');
  let encryptionKey: Buffer | undefined;
  if (source) {
    encryptionKey = decodeEncryptionKey(source.pem);
    if (!encryptionKey) {
      env.fail(source.variable, 'must be 32 bytes: 64 hex characters or 44 base64 characters', undefined);
    }
  } else if (production) {
    env.fail(
      'MFA_ENCRYPTION_KEY',
      '(or MFA_ENCRYPTION_KEY_FILE) must be set when NODE_ENV=production',
      undefined,
    );
  }
  const totpIssuer = env.string('MFA_TOTP_ISSUER', 'Gatehouse');
  if (!/^[^:\r\n]{1,64}$/.test(totpIssuer)) {
    env.fail('MFA_TOTP_ISSUER', 'must be 1-64 characters, without ":" or line breaks', undefined);
  }
  return { encryptionKey, totpIssuer, adminRequireMfa: env.boolean('ADMIN_REQUIRE_MFA', false) };
}
