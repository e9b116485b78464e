import { AppConfig, loadConfig } from '@gatehouse/config';
import { ExecutionContext, ForbiddenException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SameOriginGuard } from './same-origin.guard';

function contextFor(
  headers: Record<string, string>,
  host = 'api.example.com',
  protocol = 'https',
): ExecutionContext {
  const request = { headers, host, protocol };
  return { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
}

describe('SameOriginGuard', () => {
  let guard: SameOriginGuard;

  beforeAll(async () => {
    const module = await Test.createTestingModule({
      providers: [
        SameOriginGuard,
        { provide: AppConfig, useValue: loadConfig({ CORS_ORIGINS: 'https://app.example.com' }) },
      ],
    }).compile();
    guard = module.get(SameOriginGuard);
  });

  it.each([
    ['no Origin (curl, mobile apps)', {}],
    ['a listed origin', { origin: 'https://app.example.com' }],
    ['the server’s own origin', { origin: 'https://api.example.com' }],
    ['a same-origin fetch', { origin: 'https://api.example.com', 'sec-fetch-site': 'same-origin' }],
  ])('allows %s', (_name, headers) => {
    expect(guard.canActivate(contextFor(headers))).toBe(true);
  });

  it('allows PUBLIC_URL’s origin, whatever Host says, and compares its scheme too', async () => {
    const module = await Test.createTestingModule({
      providers: [
        SameOriginGuard,
        { provide: AppConfig, useValue: loadConfig({ PUBLIC_URL: 'https://auth.example.com' }) },
      ],
    }).compile();
    const behindProxy = module.get(SameOriginGuard);
    const viaProxy = (origin: string) => contextFor({ origin }, 'internal:3000', 'http');
    expect(behindProxy.canActivate(viaProxy('https://auth.example.com'))).toBe(true);
    expect(() => behindProxy.canActivate(viaProxy('http://auth.example.com'))).toThrow(ForbiddenException);
  });

  it.each([
    ['an unlisted origin', { origin: 'https://evil.example' }],
    ['a look-alike origin', { origin: 'https://api.example.com.evil.example' }],
    ['the opaque origin "null"', { origin: 'null' }],
    ['the server’s host by another scheme', { origin: 'http://api.example.com' }],
    ['the server’s host on another port', { origin: 'https://api.example.com:8443' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    [
      'a listed origin sent cross-site',
      { origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' },
    ],
  ])('refuses %s with a 403', (_name, headers) => {
    expect(() => guard.canActivate(contextFor(headers))).toThrow(ForbiddenException);
  });
});
