import { AppConfig } from '@gatehouse/config';
import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { FastifyRequest } from 'fastify';
import { decode } from 'jsonwebtoken';
import { Strategy } from 'passport-jwt';
import { presentedToken } from './bearer-token';
import { KeyCallback, keyForJwt } from './key-callback';
import { KeyService } from '../keys/key.service';
import { ACCESS_TOKEN_TYPE, ActiveOrg, AuthMethod, AuthUser } from '../tokens/token-types';

const AUTH_METHODS = new Set<unknown>(['pwd', 'fed', 'otp', 'hwk', 'user', 'mfa'] satisfies AuthMethod[]);

export const ACCESS_STRATEGY = 'jwt';

interface AccessPayload {
  sub?: unknown;
  sid?: unknown;
  roles?: unknown;
  amr?: unknown;
  auth_time?: unknown;
  cnf?: unknown;
  client_id?: unknown;
  scope?: unknown;
  org?: unknown;
}

/**
 * Bearer access tokens: the key is found by `kid` among this server's keys, the token's `alg` must be that key's
 * algorithm, `typ` must be `at+jwt`, and `iss`, `aud` and `exp` are checked. No database read.
 */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(Strategy, ACCESS_STRATEGY) {
  constructor(config: AppConfig, keys: KeyService) {
    super({
      jwtFromRequest: (request: FastifyRequest) =>
        presentedToken(request.headers.authorization)?.token ?? null,
      issuer: config.tokens.issuer,
      audience: config.tokens.accessAudience,
      algorithms: ['ES256', 'ES384', 'ES512', 'RS256'],
      ignoreExpiration: false,
      secretOrKeyProvider: (_request: unknown, rawToken: string, done: KeyCallback) => {
        const token = decode(rawToken, { complete: true });
        const header = token?.header;
        const key = header?.kid ? keys.verificationKey(header.kid) : undefined;
        if (!header || header.typ !== ACCESS_TOKEN_TYPE || !key || header.alg !== key.algorithm) {
          return done(new UnauthorizedException());
        }
        done(null, keyForJwt(key.publicKey));
      },
    });
  }

  validate(payload: AccessPayload): AuthUser {
    const { sub, sid, roles, amr, auth_time: authTime, cnf, org } = payload;
    const jkt = (cnf as { jkt?: unknown } | undefined)?.jkt;
    if (sid === undefined) return serviceClient(payload, jkt);
    if (typeof sub !== 'string' || typeof sid !== 'string' || !Array.isArray(roles)) {
      throw new UnauthorizedException();
    }
    const activeOrg = org === undefined ? undefined : activeOrgOf(org);
    return {
      id: sub,
      sessionId: sid,
      roles: roles.filter((role): role is string => typeof role === 'string'),
      amr: Array.isArray(amr) ? amr.filter((method): method is AuthMethod => AUTH_METHODS.has(method)) : [],
      authTime: typeof authTime === 'number' && Number.isFinite(authTime) ? authTime : 0,
      ...(typeof jkt === 'string' ? { jkt } : {}),
      ...(activeOrg ? { org: activeOrg } : {}),
    };
  }
}

/** The `org` claim, as TokenSigner writes it; anything else is no token of ours. */
function activeOrgOf(claim: unknown): ActiveOrg {
  const { id, role, permissions } = (claim ?? {}) as { id?: unknown; role?: unknown; permissions?: unknown };
  if (typeof id !== 'string' || typeof role !== 'string' || !Array.isArray(permissions)) {
    throw new UnauthorizedException();
  }
  return { id, role, permissions: permissions.filter((name): name is string => typeof name === 'string') };
}

/**
 * A token issued to a service client (client credentials): no session and no user, `sub` = `client_id`, and the
 * granted scopes in `scope` (RFC 9068 §2.2.3). Its `client_id` is what revokes it.
 */
function serviceClient(payload: AccessPayload, jkt: unknown): AuthUser {
  const { sub, client_id: clientId, scope } = payload;
  if (typeof clientId !== 'string' || sub !== clientId || typeof scope !== 'string') {
    throw new UnauthorizedException();
  }
  return {
    id: clientId,
    sessionId: clientId,
    roles: [],
    amr: [],
    authTime: 0,
    ...(typeof jkt === 'string' ? { jkt } : {}),
    credential: { kind: 'client', clientId, scopes: scope === '' ? [] : scope.split(' ') },
  };
}
