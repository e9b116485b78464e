import { AppConfig } from '@gatehouse/config';
import { permissionsOf } from '@gatehouse/orgs';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { KeyService, SigningKey } from '../keys/key.service';
import { hs256, hs256Matches, segment, signAsymmetric } from './compact-jws';
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
  iss?: unknown;
  aud?: unknown;
  exp?: unknown;
  sub?: unknown;
  sid?: unknown;
  jti?: unknown;
}

/** The one header every refresh token carries, byte for byte: a token with any other is not ours. */
const REFRESH_HEADER = segment({ alg: REFRESH_ALGORITHM, typ: REFRESH_TOKEN_TYPE });

/**
 * Signs access tokens (RFC 9068 profile), and signs and verifies refresh tokens, each kind with its own key.
 *
 * Signed with node:crypto directly, with KeyService's KeyObjects: a general JWT library merged and validated its
 * options, re-encoded the header and walked its claim checks on every call, about a fifth of a refresh. The access
 * token's header is fixed per key, and is encoded once. Access tokens are verified by passport-jwt (the guard);
 * refresh tokens here, strictly: the header must be exactly the one this signer writes, which pins the algorithm
 * and the type before the signature is even computed.
 */
@Injectable()
export class TokenSigner {
  private readonly accessHeaders = new WeakMap<SigningKey, string>();

  constructor(
    private readonly config: AppConfig,
    private readonly keys: KeyService,
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
    const issuedAt = Math.floor(Date.now() / 1000);
    const claims = {
      iss: tokens.issuer,
      sub: user.id,
      aud: tokens.accessAudience,
      exp: issuedAt + expiresIn,
      iat: issuedAt,
      jti: randomUUID(),
      client_id: tokens.clientId,
      sid: sessionId,
      roles: [...user.roles],
      auth_time: Math.floor(signIn.authTime.getTime() / 1000),
      amr: [...signIn.amr],
      // RFC 9449 §6: a bound token names its key, and is good only with that key's proofs.
      ...(signIn.jkt ? { cnf: { jkt: signIn.jkt } } : {}),
      ...(signIn.org
        ? { org: { id: signIn.org.id, role: signIn.org.role, permissions: permissionsOf(signIn.org.role) } }
        : {}),
    };
    return signAsymmetric(`${this.accessHeader(key)}.${segment(claims)}`, key.algorithm, key.privateKey);
  }

  /**
   * An access token for a service client (client credentials, RFC 9068 §2.2): the same header and key as a
   * user's, `sub` and `client_id` the client, its granted `scope`, CLIENT_TOKEN_TTL long. No `sid`, `roles` or
   * `auth_time`: no user and no session stand behind it, and the client id is what revokes it.
   */
  signClientToken(clientId: string, scopes: readonly string[], jkt?: string): string {
    const { tokens } = this.config;
    const key = this.keys.signing;
    const issuedAt = Math.floor(Date.now() / 1000);
    const claims = {
      iss: tokens.issuer,
      sub: clientId,
      aud: tokens.accessAudience,
      exp: issuedAt + tokens.clientTokenTtl,
      iat: issuedAt,
      jti: randomUUID(),
      client_id: clientId,
      scope: scopes.join(' '),
      ...(jkt ? { cnf: { jkt } } : {}),
    };
    return signAsymmetric(`${this.accessHeader(key)}.${segment(claims)}`, key.algorithm, key.privateKey);
  }

  /** Deterministic for given claims (HMAC): re-signing a stored token's claims yields the same token. */
  signRefreshToken(claims: RefreshTokenClaims): string {
    // Every claim is in the payload, in this order: the bytes must never change.
    const payload = {
      iss: this.config.tokens.issuer,
      aud: this.config.tokens.refreshAudience,
      sub: claims.userId,
      sid: claims.sessionId,
      jti: claims.tokenId,
      iat: claims.issuedAt,
      exp: claims.expiresAt,
    };
    const signingInput = `${REFRESH_HEADER}.${segment(payload)}`;
    return `${signingInput}.${hs256(signingInput, this.keys.refreshSecret)}`;
  }

  /**
   * The claims of a refresh token this server signed and that has not expired, or undefined: the exact header,
   * the HS256 signature, this issuer and the refresh audience, a future `exp`, and string `sub`, `sid` and `jti`.
   */
  verifyRefreshToken(token: string): RefreshClaims | undefined {
    const [header, payload, signature, extra] = token.split('.');
    if (header !== REFRESH_HEADER || !payload || !signature || extra !== undefined) return undefined;
    if (!hs256Matches(`${header}.${payload}`, signature, this.keys.refreshSecret)) return undefined;
    let claims: RefreshPayload;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as RefreshPayload;
    } catch {
      return undefined;
    }
    const { iss, aud, exp, sub, sid, jti } = claims ?? {};
    if (iss !== this.config.tokens.issuer || aud !== this.config.tokens.refreshAudience) return undefined;
    if (typeof exp !== 'number' || exp <= Date.now() / 1000) return undefined;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string') return undefined;
    return { userId: sub, sessionId: sid, tokenId: jti, token };
  }

  private accessHeader(key: SigningKey): string {
    let header = this.accessHeaders.get(key);
    if (header === undefined) {
      header = segment({ alg: key.algorithm, typ: ACCESS_TOKEN_TYPE, kid: key.kid });
      this.accessHeaders.set(key, header);
    }
    return header;
  }
}
