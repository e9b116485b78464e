import { AppConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { sign } from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { KeyService } from '../keys/key.service';
import { ACCESS_TOKEN_TYPE, REFRESH_ALGORITHM, REFRESH_TOKEN_TYPE, SignInFacts } from './token-types';

export interface RefreshTokenClaims {
  userId: string;
  sessionId: string;
  tokenId: string;
  /** Whole seconds since the epoch, as stored, so the same token can be signed again byte for byte. */
  issuedAt: number;
  expiresAt: number;
}

/** Signs access tokens (RFC 9068 profile) and refresh tokens with their separate keys. */
@Injectable()
export class TokenSigner {
  constructor(
    private readonly config: AppConfig,
    private readonly keys: KeyService,
  ) {}

  signAccessToken(
    user: { id: string; roles: readonly string[] },
    sessionId: string,
    signIn: SignInFacts,
  ): string {
    const { tokens } = this.config;
    const key = this.keys.signing;
    const claims = {
      client_id: tokens.clientId,
      sid: sessionId,
      roles: [...user.roles],
      auth_time: Math.floor(signIn.authTime.getTime() / 1000),
      amr: [...signIn.amr],
    };
    return sign(claims, key.privateKey, {
      algorithm: key.algorithm,
      keyid: key.kid,
      header: { alg: key.algorithm, typ: ACCESS_TOKEN_TYPE },
      issuer: tokens.issuer,
      audience: tokens.accessAudience,
      subject: user.id,
      jwtid: randomUUID(),
      expiresIn: tokens.accessTtl,
    });
  }

  /** Deterministic for given claims (HMAC): re-signing a stored token's claims yields the same token. */
  signRefreshToken(claims: RefreshTokenClaims): string {
    const payload = {
      iss: this.config.tokens.issuer,
      aud: this.config.tokens.refreshAudience,
      sub: claims.userId,
      sid: claims.sessionId,
      jti: claims.tokenId,
      iat: claims.issuedAt,
      exp: claims.expiresAt,
    };
    return sign(payload, this.keys.refreshSecret, {
      algorithm: REFRESH_ALGORITHM,
      header: { alg: REFRESH_ALGORITHM, typ: REFRESH_TOKEN_TYPE },
    });
  }
}
