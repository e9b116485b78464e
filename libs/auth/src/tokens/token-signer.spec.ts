import { AppConfig, ConfigModule, loadConfig } from '@gatehouse/config';
import { JwtService } from '@nestjs/jwt';
import { Test, TestingModule } from '@nestjs/testing';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { KeyService } from '../keys/key.service';
import { keyForJwt } from '../strategies/key-callback';
import { RefreshTokenClaims, TokenSigner } from './token-signer';

const REFRESH_SECRET = 'a fixed refresh secret for the golden token, 48+';

const CLAIMS: RefreshTokenClaims = {
  userId: '6f1c2a8e-4b1d-4e8f-9a51-2c3d4e5f6a7b',
  sessionId: '0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b',
  tokenId: 'c4d3e2f1-a0b9-4c8d-97e6-f5a4b3c2d1e0',
  issuedAt: 1764547200,
  expiresAt: 1765152000,
};

// What the signer gave for CLAIMS when it called jsonwebtoken itself: a token stored then must come out the same.
const GOLDEN_REFRESH_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6InJlZnJlc2grand0In0.' +
  'eyJpc3MiOiJnYXRlaG91c2UiLCJhdWQiOiJnYXRlaG91c2UtcmVmcmVzaCIsInN1YiI6IjZmMWMyYThlLTRiMWQtNGU4Zi05YTUxLTJjM2Q0ZTVmNmE3YiIsInNpZCI6IjBiOWU4ZDdjLTZhNWYtNGUzZC04YzJiLTFhMGY5ZThkN2M2YiIsImp0aSI6ImM0ZDNlMmYxLWEwYjktNGM4ZC05N2U2LWY1YTRiM2MyZDFlMCIsImlhdCI6MTc2NDU0NzIwMCwiZXhwIjoxNzY1MTUyMDAwfQ.' +
  'dNLMM4hDViOQ6QMmNJ3ZiSCDtKp2KDdb7k0udHSA0TA';

type Claims = Record<string, unknown>;

const now = () => Math.floor(Date.now() / 1000);
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function accessPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
}

/** The signer as the auth module wires it: the validated config, keys from KeyService. */
async function signerModule(env: Record<string, string>): Promise<TestingModule> {
  const config = loadConfig({ REFRESH_TOKEN_SECRET: REFRESH_SECRET, JWT_ISSUER: 'gatehouse', ...env });
  return Test.createTestingModule({
    imports: [ConfigModule.forRoot(config)],
    providers: [KeyService, TokenSigner],
  }).compile();
}

describe('TokenSigner', () => {
  let module: TestingModule;
  let signer: TokenSigner;
  let jwt: JwtService;
  let keys: KeyService;
  let config: AppConfig;

  beforeAll(async () => {
    module = await signerModule({ ACCESS_TOKEN_PRIVATE_KEY: accessPem() });
    signer = module.get(TokenSigner);
    // jsonwebtoken, through JwtService: an implementation of its own, to read and forge what the signer makes.
    jwt = new JwtService({ verifyOptions: { algorithms: ['HS256'] } });
    keys = module.get(KeyService);
    config = module.get(AppConfig);
  });
  afterAll(() => module.close());

  const header = (token: string): Claims => jwt.decode<{ header: Claims }>(token, { complete: true }).header;
  const payload = (token: string): Claims => jwt.decode<Claims>(token);
  const liveClaims = (): RefreshTokenClaims => ({ ...CLAIMS, issuedAt: now(), expiresAt: now() + 3600 });

  /** A refresh token's claims as the signer writes them, signed HS256 with the given secret and header. */
  function forge(
    claims: Claims,
    secret = REFRESH_SECRET,
    extraHeader: Claims = {},
    algorithm: 'HS256' | 'HS512' = 'HS256',
  ) {
    return jwt.sign(claims, {
      secret,
      algorithm,
      header: { alg: algorithm, typ: 'refresh+jwt', ...extraHeader },
    });
  }

  describe('access tokens', () => {
    const signIn = { amr: ['pwd', 'otp', 'mfa'] as const, authTime: new Date('2026-12-01T08:00:00Z') };

    it('carry alg, typ at+jwt and the current key’s kid in the header', () => {
      const token = signer.signAccessToken({ id: 'user-1', roles: ['user'] }, 'session-1', signIn);
      expect(header(token)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: keys.signing.kid });
    });

    it('carry the RFC 9068 claims, and verify with the public key for their audience only', () => {
      const token = signer.signAccessToken({ id: 'user-1', roles: ['user', 'admin'] }, 'session-1', signIn);
      const claims = payload(token);
      expect(claims).toEqual({
        iss: config.tokens.issuer,
        aud: config.tokens.accessAudience,
        sub: 'user-1',
        client_id: config.tokens.clientId,
        sid: 'session-1',
        roles: ['user', 'admin'],
        auth_time: Math.floor(signIn.authTime.getTime() / 1000),
        amr: ['pwd', 'otp', 'mfa'],
        jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
        iat: expect.any(Number),
        exp: expect.any(Number),
      });
      expect((claims.exp as number) - (claims.iat as number)).toBe(config.tokens.accessTtl);
      expect(Math.abs((claims.iat as number) - now())).toBeLessThan(5);
      expect(payload(signer.signAccessToken({ id: 'user-1', roles: [] }, 'session-1', signIn)).jti).not.toBe(
        claims.jti,
      );

      const publicKey = keyForJwt(keys.signing.publicKey);
      const accessChecks = {
        publicKey,
        algorithms: ['ES256' as const],
        audience: config.tokens.accessAudience,
      };
      expect(jwt.verify(token, accessChecks)).toMatchObject({ sub: 'user-1' });
      // The module's defaults are the refresh token's: an access token never passes for one.
      expect(() => jwt.verify(token, { publicKey })).toThrow(/invalid algorithm/);
    });

    it('for a service client: the same header and key, sub = client_id, its scope, CLIENT_TOKEN_TTL, no user', () => {
      const token = signer.signClientToken('gcl_AAAAAAAAAAAAAAAAAAAAAA', ['notes:read', 'notes:write']);
      expect(header(token)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: keys.signing.kid });
      const claims = payload(token);
      expect(claims).toEqual({
        iss: config.tokens.issuer,
        aud: config.tokens.accessAudience,
        sub: 'gcl_AAAAAAAAAAAAAAAAAAAAAA',
        client_id: 'gcl_AAAAAAAAAAAAAAAAAAAAAA',
        scope: 'notes:read notes:write',
        jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
        iat: expect.any(Number),
        exp: expect.any(Number),
      });
      expect((claims.exp as number) - (claims.iat as number)).toBe(config.tokens.clientTokenTtl);
      const bound = payload(
        signer.signClientToken('gcl_AAAAAAAAAAAAAAAAAAAAAA', ['notes:read'], 'thumbprint'),
      );
      expect(bound.cnf).toEqual({ jkt: 'thumbprint' });
      expect(
        jwt.verify(token, {
          publicKey: keyForJwt(keys.signing.publicKey),
          algorithms: ['ES256'],
          audience: config.tokens.accessAudience,
        }),
      ).toMatchObject({ sub: 'gcl_AAAAAAAAAAAAAAAAAAAAAA' });
    });

    it('are signed with the key the configuration names as current after a rotation', async () => {
      const rotated = await signerModule({ ACCESS_TOKEN_PRIVATE_KEY: accessPem() });
      try {
        const newKeys = rotated.get(KeyService);
        const token = rotated.get(TokenSigner).signAccessToken({ id: 'u', roles: [] }, 's', signIn);
        expect(newKeys.signing.kid).not.toBe(keys.signing.kid);
        expect(header(token).kid).toBe(newKeys.signing.kid);
        const checks = { algorithms: ['ES256' as const], audience: config.tokens.accessAudience };
        expect(() =>
          jwt.verify(token, { ...checks, publicKey: keyForJwt(newKeys.signing.publicKey) }),
        ).not.toThrow();
        expect(() => jwt.verify(token, { ...checks, publicKey: keyForJwt(keys.signing.publicKey) })).toThrow(
          /invalid signature/,
        );
      } finally {
        await rotated.close();
      }
    });
  });

  describe('refresh tokens', () => {
    it('are the same bytes for the same claims, as they were when signed by jsonwebtoken directly', () => {
      const token = signer.signRefreshToken(CLAIMS);
      expect(signer.signRefreshToken({ ...CLAIMS })).toBe(token);
      expect(token).toBe(GOLDEN_REFRESH_TOKEN);
      expect(header(token)).toEqual({ alg: 'HS256', typ: 'refresh+jwt' });
      expect(Object.keys(payload(token))).toEqual(['iss', 'aud', 'sub', 'sid', 'jti', 'iat', 'exp']);
      expect(signer.signRefreshToken({ ...CLAIMS, tokenId: 'another' })).not.toBe(token);
    });

    it('verify into the claims the refresh routes need, raw token included', () => {
      const claims = liveClaims();
      const token = signer.signRefreshToken(claims);
      expect(signer.verifyRefreshToken(token)).toEqual({
        userId: claims.userId,
        sessionId: claims.sessionId,
        tokenId: claims.tokenId,
        token,
      });
    });

    it('can be forged here only by knowing the secret (the cases below change one thing each)', () => {
      const token = signer.signRefreshToken(liveClaims());
      expect(forge(payload(token))).toBe(token);
    });

    it.each<[string, (claims: Claims) => string]>([
      ['typ JWT', (claims) => forge(claims, REFRESH_SECRET, { typ: 'JWT' })],
      ['typ at+jwt', (claims) => forge(claims, REFRESH_SECRET, { typ: 'at+jwt' })],
      ['no typ', (claims) => forge(claims, REFRESH_SECRET, { typ: undefined })],
      ['the access audience', (claims) => forge({ ...claims, aud: 'gatehouse-api' })],
      ['another issuer', (claims) => forge({ ...claims, iss: 'someone-else' })],
      ['another secret', (claims) => forge(claims, 'another secret of at least thirty-two characters')],
      ['HS512 with the real secret', (claims) => forge(claims, REFRESH_SECRET, {}, 'HS512')],
      ['alg none', (claims) => `${base64url({ alg: 'none', typ: 'refresh+jwt' })}.${base64url(claims)}.`],
      [
        'alg none with the real signature',
        (claims) => {
          const signature = forge(claims).split('.')[2];
          return `${base64url({ alg: 'none', typ: 'refresh+jwt' })}.${base64url(claims)}.${signature}`;
        },
      ],
      [
        'a payload changed under the real signature',
        (claims) => {
          const [head, , signature] = forge(claims).split('.');
          return `${head}.${base64url({ ...claims, sid: 'another-session' })}.${signature}`;
        },
      ],
    ])('are refused with %s', (_case, make) => {
      const claims = payload(signer.signRefreshToken(liveClaims()));
      expect(signer.verifyRefreshToken(make(claims))).toBeUndefined();
    });

    it('refuse any header but the one they are signed with, even signed with the real secret', () => {
      const claims = payload(signer.signRefreshToken(liveClaims()));
      expect(signer.verifyRefreshToken(forge(claims, REFRESH_SECRET, { kid: 'k1' }))).toBeUndefined();
      // The same header with its members the other way round, HMAC'd with the real secret.
      const input = `${base64url({ typ: 'refresh+jwt', alg: 'HS256' })}.${base64url(claims)}`;
      const reordered = `${input}.${createHmac('sha256', REFRESH_SECRET).update(input).digest('base64url')}`;
      expect(jwt.verify(reordered, { secret: REFRESH_SECRET })).toMatchObject({ sid: claims.sid });
      expect(signer.verifyRefreshToken(reordered)).toBeUndefined();
      expect(signer.verifyRefreshToken(`${forge(claims)}.extra`)).toBeUndefined();
    });

    it('are refused once expired, though signed with the real secret', () => {
      const expired = signer.signRefreshToken({ ...CLAIMS, issuedAt: now() - 7200, expiresAt: now() - 1 });
      expect(signer.verifyRefreshToken(expired)).toBeUndefined();
      expect(() => jwt.verify(expired, { secret: REFRESH_SECRET })).toThrow(/jwt expired/);
    });

    it('refuse an access token, and anything that is not a JWT', () => {
      const access = signer.signAccessToken({ id: 'u', roles: [] }, 's', {
        amr: ['pwd'],
        authTime: new Date(),
      });
      expect(signer.verifyRefreshToken(access)).toBeUndefined();
      expect(signer.verifyRefreshToken('not.a.token')).toBeUndefined();
      expect(signer.verifyRefreshToken('')).toBeUndefined();
    });
  });
});
