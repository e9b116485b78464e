import { ConfigError } from './config-error';
import { loadConfig } from './load-config';

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

const CORP = {
  OAUTH_PROVIDERS: 'corp',
  OAUTH_CORP_ISSUER: 'https://login.example.com',
  OAUTH_CORP_CLIENT_ID: 'gatehouse',
  OAUTH_CORP_CLIENT_SECRET: 'corp-secret',
};

describe('loadConfig: sign-in providers', () => {
  it('has none by default', () => {
    expect(loadConfig({}).oauth).toEqual({ providers: [], allowInsecureIssuers: false });
  });

  it('reads an OpenID Connect provider with its defaults, in the order given', () => {
    const { providers } = loadConfig({
      ...CORP,
      OAUTH_PROVIDERS: 'corp, gh',
      OAUTH_GH_TYPE: 'github',
      OAUTH_GH_CLIENT_ID: 'Iv1.abc',
      OAUTH_GH_CLIENT_SECRET: 'gh-secret',
      OAUTH_GH_NAME: 'GitHub',
    }).oauth;
    expect(providers).toEqual([
      {
        id: 'corp',
        type: 'oidc',
        name: 'Corp',
        clientId: 'gatehouse',
        clientSecret: 'corp-secret',
        scopes: ['openid', 'email', 'profile'],
        issuer: 'https://login.example.com',
        github: undefined,
      },
      {
        id: 'gh',
        type: 'github',
        name: 'GitHub',
        clientId: 'Iv1.abc',
        clientSecret: 'gh-secret',
        scopes: ['read:user', 'user:email'],
        issuer: undefined,
        github: { webUrl: 'https://github.com', apiUrl: 'https://api.github.com' },
      },
    ]);
  });

  it('keeps an issuer exactly as written (discovery compares it character for character)', () => {
    const [corp] = loadConfig({ ...CORP, OAUTH_CORP_ISSUER: 'https://tenant.auth0.com/' }).oauth.providers;
    expect(corp.issuer).toBe('https://tenant.auth0.com/');
  });

  it.each([
    [{ OAUTH_CORP_CLIENT_ID: '' }, 'OAUTH_CORP_CLIENT_ID'],
    [{ OAUTH_CORP_CLIENT_SECRET: '' }, 'OAUTH_CORP_CLIENT_SECRET'],
    [{ OAUTH_CORP_ISSUER: '' }, 'OAUTH_CORP_ISSUER'],
    [{ OAUTH_CORP_ISSUER: 'login.example.com' }, 'OAUTH_CORP_ISSUER'],
    [{ OAUTH_CORP_TYPE: 'saml' }, 'OAUTH_CORP_TYPE'],
    [{ OAUTH_CORP_SCOPES: 'email profile' }, 'OAUTH_CORP_SCOPES must include openid'],
    [{ OAUTH_PROVIDERS: 'Corp' }, 'OAUTH_PROVIDERS has "Corp"'],
    [{ OAUTH_PROVIDERS: 'corp,corp' }, 'OAUTH_PROVIDERS names corp twice'],
    [{ OAUTH_PROVIDERS: 'my-idp' }, 'OAUTH_PROVIDERS'],
  ])('refuses %p naming %s', (changes, named) => {
    expect(problemsOf({ ...CORP, ...changes })).toContain(named);
  });

  it('refuses an http issuer unless insecure issuers are allowed, and allowing them in production', () => {
    const insecure = { ...CORP, OAUTH_CORP_ISSUER: 'http://localhost:9000' };
    expect(problemsOf(insecure)).toContain('OAUTH_CORP_ISSUER must be https');
    expect(problemsOf({ ...CORP, OAUTH_CORP_ISSUER: 'HTTP://localhost:9000' })).toContain(
      'OAUTH_CORP_ISSUER must be https',
    );
    expect(loadConfig({ ...insecure, OAUTH_ALLOW_INSECURE_ISSUERS: 'true' }).oauth.providers[0].issuer).toBe(
      'http://localhost:9000',
    );
    expect(
      problemsOf({ ...insecure, OAUTH_ALLOW_INSECURE_ISSUERS: 'true', NODE_ENV: 'production' }),
    ).toContain('OAUTH_ALLOW_INSECURE_ISSUERS must not be true with NODE_ENV=production');
  });

  it('reads a GitHub Enterprise server and applies the same https rule to it', () => {
    const enterprise = {
      OAUTH_PROVIDERS: 'ghe',
      OAUTH_GHE_TYPE: 'github',
      OAUTH_GHE_CLIENT_ID: 'id',
      OAUTH_GHE_CLIENT_SECRET: 'secret',
      OAUTH_GHE_GITHUB_URL: 'https://git.example.com/',
      OAUTH_GHE_GITHUB_API_URL: 'https://git.example.com/api/v3',
    };
    expect(loadConfig(enterprise).oauth.providers[0].github).toEqual({
      webUrl: 'https://git.example.com',
      apiUrl: 'https://git.example.com/api/v3',
    });
    expect(problemsOf({ ...enterprise, OAUTH_GHE_GITHUB_URL: 'http://git.example.com' })).toContain(
      'OAUTH_GHE_GITHUB_URL must be https',
    );
  });
});
