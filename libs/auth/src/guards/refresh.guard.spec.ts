import { AuditTrail } from '@gatehouse/audit';
import fastifyCookie from '@fastify/cookie';
import { ConfigModule, loadConfig } from '@gatehouse/config';
import { ExecutionContext, UnauthorizedException } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { RefreshCookie } from '../cookies/refresh-cookie';
import { REFRESH_CLAIMS } from '../decorators/request-properties';
import { KeyService } from '../keys/key.service';
import { SecurityEvents } from '../security-events';
import { TokenSigner } from '../tokens/token-signer';
import { OptionalRefreshGuard, RefreshGuard } from './refresh.guard';

const { parse, serialize } = fastifyCookie;

interface Exchange {
  context: ExecutionContext;
  request: Record<string, unknown>;
  /** The `Set-Cookie` values the guard put on the answer. */
  setCookies: string[];
}

/** A request with these cookies (as its Cookie header) and its answer, parsed and set as the app does. */
function exchange(cookies: Record<string, string>, headers: Record<string, string> = {}): Exchange {
  const cookieHeader = Object.entries(cookies)
    .map(([name, value]) => serialize(name, value))
    .join('; ');
  const request: Record<string, unknown> = {
    headers: cookieHeader ? { ...headers, cookie: cookieHeader } : headers,
    server: { parseCookie: parse },
  };
  const setCookies: string[] = [];
  const reply = {
    server: { serializeCookie: serialize },
    getHeader: () => (setCookies.length ? [...setCookies] : undefined),
    removeHeader: () => setCookies.splice(0),
    header: (_name: string, value: string) => setCookies.push(value),
  };
  const context = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
  return { context, request, setCookies };
}

describe('RefreshGuard and OptionalRefreshGuard', () => {
  let module: TestingModule;
  let token: string;
  let cookieName: string;

  beforeAll(async () => {
    const config = loadConfig({
      ACCESS_TOKEN_PRIVATE_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString(),
      REFRESH_TOKEN_SECRET: randomBytes(36).toString('base64url'),
    });
    module = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config)],
      providers: [
        KeyService,
        TokenSigner,
        RefreshCookie,
        SecurityEvents,
        RefreshGuard,
        OptionalRefreshGuard,
        // No database here: the history of a refused cookie is not what this suite is about.
        { provide: AuditTrail, useValue: { appendSoon: () => undefined } },
      ],
    }).compile();
    const issuedAt = Math.floor(Date.now() / 1000);
    token = module.get(TokenSigner).signRefreshToken({
      userId: 'user-1',
      sessionId: 'session-1',
      tokenId: 'token-1',
      issuedAt,
      expiresAt: issuedAt + 3600,
    });
    cookieName = module.get(RefreshCookie).name;
  });
  afterAll(() => module.close());

  const claims = () => ({ userId: 'user-1', sessionId: 'session-1', tokenId: 'token-1', token });

  it('leaves the verified cookie’s claims on the request', () => {
    const { context, request, setCookies } = exchange({ [cookieName]: token });
    expect(module.get(RefreshGuard).canActivate(context)).toBe(true);
    expect(request[REFRESH_CLAIMS]).toEqual(claims());
    expect(setCookies).toEqual([]);
  });

  it.each<[string, (name: string, token: string) => Exchange]>([
    ['no cookie', () => exchange({})],
    ['an empty cookie', (name) => exchange({ [name]: '' })],
    ['a tampered cookie', (name, token) => exchange({ [name]: `${token}x` })],
    [
      'the token in the Authorization header instead',
      (_name, token) => exchange({}, { authorization: `Bearer ${token}` }),
    ],
  ])('answers %s with a 401 that clears the cookie', (_case, make) => {
    const { context, setCookies } = make(cookieName, token);
    expect(() => module.get(RefreshGuard).canActivate(context)).toThrow(UnauthorizedException);
    expect(setCookies).toEqual([expect.stringMatching(new RegExp(`^${cookieName}=;.*Max-Age=0`))]);
  });

  it('lets logout through with the claims of a valid cookie, and with none otherwise', () => {
    const guard = module.get(OptionalRefreshGuard);
    const valid = exchange({ [cookieName]: token });
    expect(guard.canActivate(valid.context)).toBe(true);
    expect(valid.request[REFRESH_CLAIMS]).toEqual(claims());

    const forged = exchange({ [cookieName]: `${token}x` });
    expect(guard.canActivate(forged.context)).toBe(true);
    expect(forged.request[REFRESH_CLAIMS]).toBeUndefined();
    expect(forged.setCookies).toEqual([]);
  });
});
