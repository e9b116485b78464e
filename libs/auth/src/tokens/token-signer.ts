import { AppConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { KeyService } from '../keys/key.service';
import { keyForJwt } from '../strategies/key-callback';
import {
  ACCESS_TOKEN_TYPE,
  REFRESH_ALGORITHM,
  REFRESH_TOKEN_TYPE,
  RefreshClaims,
  SignInFacts,
} from './token-types';

export interface RefreshTokenClaims {
  userId: string;
  sessionId: string;
  tokenId: string;
  /** Whole seconds since the epoch, as stored, so the same token can be signed again byte for byte. */
  issuedAt: number;
  expiresAt: number;
}

interface RefreshPayload {
  sub?: unknown;
  sid?: unknown;
  jti?: unknown;
}

/**
 * Signs access tokens (RFC 9068 profile), and signs and verifies refresh tokens, each kind with its own key.
 * Every call hands JwtService the KeyObject KeyService holds now: a PEM or a string secret would be parsed
 * again on every call.
 */
@Injectable()
export class TokenSigner {
  constructor(
    private readonly config: AppConfig,
    private readonly keys: KeyService,
    private readonly jwt: JwtService,
  ) {}

  /** `expiresIn` (seconds) defaults to ACCESS_TOKEN_TTL; a session near its SESSION_MAX_AGE asks for less. */
  signAccessToken(
    user: { id: string; roles: readonly string[] },
    sessionId: string,
    signIn: SignInFacts,
    expiresIn = this.config.tokens.accessTtl,
  ): string {
    const { tokens } = this.config;
    const key = this.keys.signing;
    const claims = {
      client_id: tokens.clientId,
      sid: sessionId,
      roles: [...user.roles],
      auth_time: Math.floor(signIn.authTime.getTime() / 1000),
      amr: [...signIn.amr],
      // RFC 9449 §6: a bound token names its key, and is good only with that key's proofs.
      ...(signIn.jkt ? { cnf: { jkt: signIn.jkt } } : {}),
    };
    return this.jwt.sign(claims, {
      privateKey: key.privateKey,
      algorithm: key.algorithm,
      keyid: key.kid,
      header: { alg: key.algorithm, typ: ACCESS_TOKEN_TYPE },
      issuer: tokens.issuer,
      audience: tokens.accessAudience,
      subject: user.id,
      jwtid: randomUUID(),
      expiresIn,
    });
  }

  /** Deterministic for given claims (HMAC): re-signing a stored token's claims yields the same token. */
  signRefreshToken(claims: RefreshTokenClaims): string {
    // Every claim is in the payload, in this order, and none comes from options: the bytes must never change.
    const payload = {
      iss: this.config.tokens.issuer,
      aud: this.config.tokens.refreshAudience,
      sub: claims.userId,
      sid: claims.sessionId,
      jti: claims.tokenId,
      iat: claims.issuedAt,
      exp: claims.expiresAt,
    };
    return this.jwt.sign(payload, {
      secret: keyForJwt(this.keys.refreshSecret),
      algorithm: REFRESH_ALGORITHM,
      header: { alg: REFRESH_ALGORITHM, typ: REFRESH_TOKEN_TYPE },
    });
  }

  /**
   * The claims of a refresh token this server signed and that has not expired, or undefined. The `typ` is
   * checked before the signature, so an access token is refused whatever it carries; the algorithm, issuer and
   * audience are pinned by the module's verify options (jwt-options.ts).
   */
  verifyRefreshToken(token: string): RefreshClaims | undefined {
    try {
      const decoded = this.jwt.decode<{ header?: { typ?: unknown } } | null>(token, { complete: true });
      if (decoded?.header?.typ !== REFRESH_TOKEN_TYPE) return undefined;
      const { sub, sid, jti } = this.jwt.verify<RefreshPayload>(token, {
        secret: keyForJwt(this.keys.refreshSecret),
      });
      if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string') return undefined;
      return { userId: sub, sessionId: sid, tokenId: jti, token };
    } catch {
      return undefined;
    }
  }
}
