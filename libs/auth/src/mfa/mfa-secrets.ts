import { AppConfig, decodeEncryptionKey } from '@gatehouse/config';
import { Injectable, Logger } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { DevelopmentKeys } from '../keys/key.service';

const FORMAT = 'v1';

/**
 * The second factor's secrets at rest: TOTP secrets encrypted (AES-256-GCM with MFA_ENCRYPTION_KEY, the user id
 * as associated data, so a row copied onto another user does not decrypt), recovery codes as keyed hashes (a
 * stolen table cannot be brute-forced without the key), challenge tokens as plain SHA-256 (they are random).
 */
@Injectable()
export class MfaSecrets {
  private readonly encryptionKey: Buffer;
  private readonly recoveryKey: Buffer;

  constructor(config: AppConfig) {
    const key =
      config.mfa.encryptionKey ??
      decodeEncryptionKey(new DevelopmentKeys(config, new Logger(MfaSecrets.name)).mfaEncryptionKey().pem);
    if (!key) throw new Error('the development MFA_ENCRYPTION_KEY under DATA_DIR is damaged: delete it');
    // Two keys from one: encryption and hashing never share key material.
    this.encryptionKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'gatehouse totp secret', 32));
    this.recoveryKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'gatehouse recovery code', 32));
  }

  encrypt(userId: string, plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    cipher.setAAD(Buffer.from(userId));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, iv, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** The plaintext, or undefined for a value this key did not encrypt for this user. */
  decrypt(userId: string, stored: string): string | undefined {
    const [format, iv, ciphertext, tag] = stored.split('.');
    if (format !== FORMAT || !iv || !ciphertext || !tag) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(userId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      return undefined;
    }
  }

  /** A recovery code's keyed hash, per user; the code is compared without its dashes or case. */
  recoveryCodeHash(userId: string, code: string): string {
    const canonical = code.replace(/[\s-]/g, '').toLowerCase();
    return createHmac('sha256', this.recoveryKey).update(`${userId}:${canonical}`).digest('hex');
  }

  tokenHash(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }
}
