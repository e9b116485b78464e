import { AppConfig } from '@gatehouse/config';
import { JwtModuleOptions } from '@nestjs/jwt';
import { REFRESH_ALGORITHM } from './token-types';

/**
 * JwtService verifies refresh tokens only (passport-jwt verifies access tokens, with the key their kid names), so
 * its verification is pinned to the refresh token's algorithm, issuer and audience. No key here: each call
 * passes KeyService's KeyObject, because a module-level `secret` would win over a per-call `privateKey` and sign
 * access tokens with the refresh secret.
 */
export function jwtOptions(config: AppConfig): JwtModuleOptions {
  return {
    verifyOptions: {
      algorithms: [REFRESH_ALGORITHM],
      issuer: config.tokens.issuer,
      audience: config.tokens.refreshAudience,
    },
  };
}
