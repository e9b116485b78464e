import { AppConfig } from '@gatehouse/config';
import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { FastifyRequest } from 'fastify';
import { decode } from 'jsonwebtoken';
import { Strategy } from 'passport-jwt';
import { KeyCallback, keyForJwt } from './key-callback';
import { KeyService } from '../keys/key.service';
import { REFRESH_ALGORITHM, REFRESH_TOKEN_TYPE, RefreshClaims } from '../tokens/token-types';

export const REFRESH_STRATEGY = 'refresh';

interface RefreshPayload {
  sub?: unknown;
  sid?: unknown;
  jti?: unknown;
}

/** Reads the refresh token from its HttpOnly cookie only (never a header) and verifies it with its own key. */
@Injectable()
export class RefreshTokenStrategy extends PassportStrategy(Strategy, REFRESH_STRATEGY) {
  constructor(
    private readonly config: AppConfig,
    keys: KeyService,
  ) {
    super({
      jwtFromRequest: (request: FastifyRequest) => request.cookies?.[config.cookie.name] ?? null,
      issuer: config.tokens.issuer,
      audience: config.tokens.refreshAudience,
      algorithms: [REFRESH_ALGORITHM],
      ignoreExpiration: false,
      passReqToCallback: true,
      secretOrKeyProvider: (_request: unknown, rawToken: string, done: KeyCallback) => {
        const header = decode(rawToken, { complete: true })?.header;
        if (!header || header.typ !== REFRESH_TOKEN_TYPE) return done(new UnauthorizedException());
        done(null, keyForJwt(keys.refreshSecret));
      },
    });
  }

  validate(request: FastifyRequest, payload: RefreshPayload): RefreshClaims {
    const { sub, sid, jti } = payload;
    const token = request.cookies?.[this.config.cookie.name];
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string' || !token) {
      throw new UnauthorizedException();
    }
    return { userId: sub, sessionId: sid, tokenId: jti, token };
  }
}
