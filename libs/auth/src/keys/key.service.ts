import { AppConfig, KeySource } from '@gatehouse/config';
import { Injectable, Logger } from '@nestjs/common';
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  hkdfSync,
  KeyObject,
  randomBytes,
} from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pemBlocks, VerificationKey, verificationKey } from './key-material';

const MIN_SECRET_BYTES = 32;

export interface SigningKey extends VerificationKey {
  readonly privateKey: KeyObject;
}

/**
 * The keys Gatehouse signs and verifies with, loaded once as KeyObjects (never re-parsed per request).
 * Access tokens: an asymmetric key with a kid, plus previous public keys kept for verification during a
 * rotation. Refresh tokens: a separate HMAC secret, so neither kind of token can pass for the other.
 */
@Injectable()
export class KeyService {
  readonly signing: SigningKey;
  readonly refreshSecret: KeyObject;
  private readonly verifying = new Map<string, VerificationKey>();
  private readonly log = new Logger(KeyService.name);

  constructor(config: AppConfig) {
    const dev = new DevelopmentKeys(config, this.log);
    this.signing = loadSigningKey(config.keys.accessPrivateKey ?? dev.accessPrivateKey());
    this.verifying.set(this.signing.kid, this.signing);
    const previous = config.keys.accessPreviousPublicKeys;
    if (previous) {
      for (const key of loadPublicKeys(previous)) {
        if (!this.verifying.has(key.kid)) this.verifying.set(key.kid, key);
      }
    }
    this.refreshSecret = loadSecret(config.keys.refreshSecret ?? dev.refreshSecret());
  }

  /**
   * A 32-byte key of its own for one purpose (`purpose` names it), derived from the refresh secret with HKDF: every
   * instance that shares the keys derives the same one, and no two purposes share key material.
   */
  derivedKey(purpose: string): Buffer {
    return Buffer.from(
      hkdfSync('sha256', this.refreshSecret.export(), Buffer.alloc(0), `gatehouse ${purpose}`, 32),
    );
  }

  /** The public key for a kid, or undefined for a kid this server never issued or has retired. */
  verificationKey(kid: string): VerificationKey | undefined {
    return this.verifying.get(kid);
  }

  /** The JWKS document: the current public key first, then the previous ones still accepted. */
  jwks(): { keys: Record<string, unknown>[] } {
    return {
      keys: [...this.verifying.values()].map((key) => ({
        ...key.publicKey.export({ format: 'jwk' }),
        kid: key.kid,
        alg: key.algorithm,
        use: 'sig',
      })),
    };
  }
}

function loadSigningKey(source: KeySource): SigningKey {
  try {
    const privateKey = createPrivateKey(source.pem);
    return { ...verificationKey(createPublicKey(privateKey)), privateKey };
  } catch (error) {
    throw new Error(`${source.variable} is not a usable private key: ${reason(error)}`);
  }
}

function loadPublicKeys(source: KeySource): VerificationKey[] {
  const blocks = pemBlocks(source.pem);
  if (blocks.length === 0) throw new Error(`${source.variable} holds no PEM public key`);
  return blocks.map((pem) => {
    try {
      return verificationKey(createPublicKey(pem));
    } catch (error) {
      throw new Error(`${source.variable} holds a key that cannot be used: ${reason(error)}`);
    }
  });
}

function loadSecret(source: KeySource): KeyObject {
  const secret = Buffer.from(source.pem.trim(), 'utf8');
  if (secret.length < MIN_SECRET_BYTES) {
    throw new Error(`${source.variable} is too weak: use at least ${MIN_SECRET_BYTES} random characters`);
  }
  return createSecretKey(secret);
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Outside production, a key pair and a secret made once under DATA_DIR, so a newcomer needs no setup and
 * tokens survive restarts. In production their absence stops the start.
 */
export class DevelopmentKeys {
  private readonly dir: string;

  constructor(
    private readonly config: AppConfig,
    private readonly log: Logger,
  ) {
    this.dir = join(config.database.dataDir, 'keys');
  }

  accessPrivateKey(): KeySource {
    return this.load('ACCESS_TOKEN_PRIVATE_KEY', 'access-private.pem', () =>
      generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString(),
    );
  }

  refreshSecret(): KeySource {
    return this.load('REFRESH_TOKEN_SECRET', 'refresh-secret', () => randomBytes(48).toString('base64url'));
  }

  mfaEncryptionKey(): KeySource {
    return this.load('MFA_ENCRYPTION_KEY', 'mfa-encryption-key', () => randomBytes(32).toString('hex'));
  }

  private load(variable: string, file: string, generate: () => string): KeySource {
    if (this.config.production) {
      throw new Error(`${variable} (or ${variable}_FILE) must be set when NODE_ENV=production`);
    }
    const path = join(this.dir, file);
    if (!existsSync(path)) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      // Written whole under a name of this process's, then linked into place: workers starting together never
      // read a half-written key, and the first link wins.
      const draft = `${path}.${process.pid}.tmp`;
      writeFileSync(draft, generate(), { mode: 0o600 });
      try {
        linkSync(draft, path);
        this.log.warn(
          `${variable} is not set: generated a development key at ${path}. Never use it in production.`,
        );
      } catch (error) {
        // Another process made it first: use theirs.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        unlinkSync(draft);
      }
    }
    return { variable: path, pem: readFileSync(path, 'utf8') };
  }
}
