import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeEncryptionKey } from './mfa-config';
import { ConfigError } from './config-error';
import { parseDuration } from './duration';
import { loadConfig } from './load-config';

function problemsOf(env: Record<string, string>, cores?: number): string[] {
  try {
    loadConfig(env, false, cores);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

const problemsText = (env: Record<string, string>): string => problemsOf(env).join('\n');

describe('parseDuration', () => {
  it.each([
    ['900', 900],
    ['900s', 900],
    ['15m', 900],
    ['12h', 43200],
    ['7d', 604800],
    [' 30s ', 30],
  ])('reads %s as %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', 'abc', '-5', '1.5h', '15 m', '7w', '10ms'])('refuses %p', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.tokens).toMatchObject({ accessTtl: 900, refreshTtl: 604800, reuseGraceSeconds: 10 });
    expect(config.tokens.sessionMaxAge).toBeUndefined();
    expect(config.cookie).toEqual({ name: 'refresh_token', sameSite: 'strict', secure: true });
    expect(config.throttle.login).toEqual({ limit: 10, ttl: 60 });
    expect(config.throttle.register).toEqual({ limit: 20, ttl: 60 });
    expect(config.throttle.refresh).toEqual({ limit: 300, ttl: 60 });
    expect(config.password.minLength).toBe(15);
    expect(config.database.url).toBeUndefined();
    expect(config.database.dataDir).toMatch(/data$/);
    expect(config.database.migrationsRun).toBe(true);
    expect(config.http.trustProxy).toBe(false);
    expect(config.log.level).toBe('info');
    expect(config.nodeEnv).toBe('development');
    expect(config.production).toBe(false);
    expect(config.http).toMatchObject({
      requestTimeout: 30,
      keepAliveTimeout: 65,
      shutdownGrace: 10,
      shutdownDelay: 0,
    });
    expect(config.throttle.redisUrl).toBeUndefined();
  });

  it('logs human-readable lines only to a terminal outside production, JSON otherwise', () => {
    expect(loadConfig({}, true).log.format).toBe('pretty');
    expect(loadConfig({}, false).log.format).toBe('json');
    expect(loadConfig({ NODE_ENV: 'test' }, true).log.format).toBe('pretty');
    expect(loadConfig(productionEnvForLogs(), true).log.format).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'json' }, true).log.format).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'Pretty' }, false).log.format).toBe('pretty');
    expect(problemsText({ LOG_FORMAT: 'text' })).toContain('LOG_FORMAT must be one of pretty, json');
  });

  it('reads the request and keep-alive timeouts and the shutdown grace as durations', () => {
    const config = loadConfig({
      REQUEST_TIMEOUT: '2s',
      KEEP_ALIVE_TIMEOUT: '75s',
      SHUTDOWN_GRACE: '1m',
      SHUTDOWN_DELAY: '5s',
    });
    expect(config.http).toMatchObject({
      requestTimeout: 2,
      keepAliveTimeout: 75,
      shutdownGrace: 60,
      shutdownDelay: 5,
    });
    expect(problemsText({ SHUTDOWN_DELAY: '10m' })).toContain('SHUTDOWN_DELAY');
    expect(problemsText({ KEEP_ALIVE_TIMEOUT: '0' })).toContain('KEEP_ALIVE_TIMEOUT');
  });

  it.each([
    ['Production', 'production'],
    ['PRODUCTION', 'production'],
    [' test ', 'test'],
    ['Development', 'development'],
  ])('reads NODE_ENV=%p as %s', (text, nodeEnv) => {
    // Production wants its keys named; here only the reading of NODE_ENV is checked.
    const keys = {
      ACCESS_TOKEN_PRIVATE_KEY: 'a PEM',
      REFRESH_TOKEN_SECRET: 'x'.repeat(40),
      SMTP_URL: 'smtp://mail.example.com',
      MFA_ENCRYPTION_KEY: 'ab'.repeat(32),
    };
    const config = loadConfig({ NODE_ENV: text, ...keys });
    expect(config.nodeEnv).toBe(nodeEnv);
    expect(config.production).toBe(nodeEnv === 'production');
  });

  it.each([
    'redis://localhost:6379',
    'redis://127.0.0.1',
    'rediss://:secret@cache.example.com:6380/2',
    'REDIS://localhost:6379',
  ])('accepts REDIS_URL=%p', (url) => {
    expect(loadConfig({ REDIS_URL: url }).throttle.redisUrl).toBe(url);
  });

  it.each([
    'postgres://user:pass@127.0.0.1:5432/db',
    'postgresql://db.example.com/gatehouse?sslmode=require',
    'postgres:///gatehouse?host=/run/postgresql',
  ])('accepts DATABASE_URL=%p', (url) => {
    expect(loadConfig({ DATABASE_URL: url }).database.url).toBe(url);
  });

  it('reads durations in seconds or with a unit', () => {
    const config = loadConfig({ ACCESS_TOKEN_TTL: '5m', REFRESH_TOKEN_TTL: '3600', SESSION_MAX_AGE: '30d' });
    expect(config.tokens).toMatchObject({ accessTtl: 300, refreshTtl: 3600, sessionMaxAge: 2592000 });
  });

  it('names every wrong variable at once', () => {
    const problems = problemsOf({ PORT: 'abc', ACCESS_TOKEN_TTL: 'soon', COOKIE_SAMESITE: 'sometimes' });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/ACCESS_TOKEN_TTL/);
    expect(problems.join('\n')).toMatch(/COOKIE_SAMESITE/);
  });

  it.each([
    ['PASSWORD_MIN_LENGTH', '7'],
    ['PASSWORD_MIN_LENGTH', '129'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['DATABASE_URL', 'postgres:/typo'],
    ['DATABASE_URL', 'postgres//localhost/db'],
    ['DATABASE_URL', 'postgres://localhost:port/db'],
    ['DATABASE_URL', 'postgres://localhost:99999/db'],
    ['DATABASE_URL', 'localhost:5432'],
    ['REDIS_URL', 'htp:/typo'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['REDIS_URL', 'redis:/localhost'],
    ['REDIS_URL', 'redis://'],
    ['REDIS_URL', 'redis://localhost:99999'],
    ['REDIS_URL', 'localhost:6379'],
    ['NODE_ENV', 'prod'],
    ['NODE_ENV', 'staging'],
    ['NODE_ENV', 'production!'],
    ['REQUEST_TIMEOUT', 'soon'],
    ['REQUEST_TIMEOUT', '0'],
    ['REQUEST_TIMEOUT', '30d'],
    ['SHUTDOWN_GRACE', '-1'],
    ['SHUTDOWN_GRACE', '0'],
    ['SHUTDOWN_GRACE', '10ms'],
    ['SHUTDOWN_GRACE', '30d'],
    ['LOG_LEVEL', 'loud'],
    ['DB_MIGRATIONS_RUN', 'maybe'],
    ['REFRESH_REUSE_GRACE_SECONDS', '-1'],
    ['THROTTLE_LOGIN_LIMIT', '0'],
    ['THROTTLE_LOGIN_TTL', '0'],
    ['CORS_ORIGINS', 'https://ok.example.com,not a url'],
    ['CORS_ORIGINS', 'https://app.example.com/path'],
    ['TRUST_PROXY', 'every proxy'],
    ['COOKIE_NAME', 'bad name;'],
    ['ADMIN_EMAIL', 'admin@example.com'],
  ])('refuses %s=%p naming it', (name, value) => {
    expect(problemsOf({ [name]: value }).join('\n')).toContain(name);
  });

  it('refuses SameSite=None without Secure', () => {
    expect(problemsOf({ COOKIE_SAMESITE: 'none', COOKIE_SECURE: 'false' }).join()).toContain(
      'COOKIE_SAMESITE',
    );
  });

  it('refuses an admin password shorter than the password policy', () => {
    const problems = problemsOf({ ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'short' });
    expect(problems.join()).toContain('ADMIN_PASSWORD');
  });

  it('reads CORS origins, trust-proxy forms and booleans', () => {
    const config = loadConfig({
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      TRUST_PROXY: '10.0.0.0/8,127.0.0.1',
      COOKIE_SECURE: 'false',
      COOKIE_SAMESITE: 'Lax',
    });
    expect(config.http.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(config.http.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(config.cookie).toMatchObject({ secure: false, sameSite: 'lax' });
    expect(loadConfig({ TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'true' }).http.trustProxy).toBe(true);
  });

  it('refuses a key given both inline and as a file', () => {
    const problems = problemsOf({
      REFRESH_TOKEN_SECRET: 'x'.repeat(40),
      REFRESH_TOKEN_SECRET_FILE: '/tmp/nope',
    });
    expect(problems.join()).toContain('REFRESH_TOKEN_SECRET');
  });

  it('refuses an unreadable key file naming the _FILE variable', () => {
    expect(problemsOf({ ACCESS_TOKEN_PRIVATE_KEY_FILE: '/nonexistent/key.pem' }).join()).toContain(
      'ACCESS_TOKEN_PRIVATE_KEY_FILE',
    );
  });
});

describe('loadConfig: mail', () => {
  it('defaults to files under DATA_DIR/outbox, the localhost sender and a day of retries', () => {
    expect(loadConfig({}).mail).toEqual({
      smtpUrl: undefined,
      from: 'Gatehouse <no-reply@localhost>',
      giveUpAfter: 86400,
      sendLease: 60,
    });
  });

  it.each([
    'smtp://user:pass@mail.example.com:587',
    'smtps://user:pass@mail.example.com:465',
    'smtp://127.0.0.1:2525?ignoreTLS=true',
  ])('accepts SMTP_URL=%s', (smtpUrl) => {
    expect(loadConfig({ SMTP_URL: smtpUrl }).mail.smtpUrl).toBe(smtpUrl);
  });

  it.each([
    'http://mail.example.com',
    'mail.example.com:587',
    'smtp:mail.example.com',
    'smtp://',
    'smtp://mail.example.com?logger=true',
    'smtp://mail.example.com?ignoreTLS=true&debug=true',
  ])('refuses SMTP_URL=%p naming it', (smtpUrl) => {
    expect(problemsOf({ SMTP_URL: smtpUrl }).join()).toContain('SMTP_URL');
  });

  it('refuses production without SMTP_URL, naming it', () => {
    expect(problemsOf({ NODE_ENV: 'production' }).join()).toContain('SMTP_URL');
    const withSmtp = problemsOf({ NODE_ENV: 'production', SMTP_URL: 'smtps://u:p@mail.example.com:465' });
    expect(withSmtp.join()).not.toContain('SMTP_URL');
  });

  it('reads MAIL_FROM and MAIL_GIVE_UP', () => {
    const config = loadConfig({ MAIL_FROM: 'Acme Accounts <accounts@acme.test>', MAIL_GIVE_UP: '2h' });
    expect(config.mail).toMatchObject({ from: 'Acme Accounts <accounts@acme.test>', giveUpAfter: 7200 });
    expect(loadConfig({ MAIL_FROM: 'accounts@acme.test' }).mail.from).toBe('accounts@acme.test');
  });

  it('reads MAIL_SEND_LEASE, refusing one under a second', () => {
    expect(loadConfig({ MAIL_SEND_LEASE: '2m' }).mail.sendLease).toBe(120);
    expect(() => loadConfig({ MAIL_SEND_LEASE: '0' })).toThrow(/MAIL_SEND_LEASE/);
  });

  it.each([
    ['MAIL_FROM', 'not an address'],
    ['MAIL_FROM', 'Acme <a@b.test>\r\nBcc: victim@example.com'],
    ['MAIL_GIVE_UP', 'soon'],
    ['MAIL_GIVE_UP', '10s'],
  ])('refuses %s=%p naming it', (name, value) => {
    expect(problemsOf({ [name]: value }).join()).toContain(name);
  });
});

describe('public addresses and recovery settings', () => {
  it('defaults PUBLIC_URL to localhost on PORT and APP_URL to PUBLIC_URL', () => {
    expect(loadConfig({ PORT: '4100' }).urls).toEqual({
      publicUrl: 'http://localhost:4100',
      appUrl: 'http://localhost:4100',
    });
  });

  it('reads origins, a trailing slash allowed, and keeps APP_URL apart', () => {
    const { urls } = loadConfig({
      PUBLIC_URL: 'https://auth.example.com/',
      APP_URL: 'https://app.example.com',
    });
    expect(urls).toEqual({ publicUrl: 'https://auth.example.com', appUrl: 'https://app.example.com' });
  });

  it.each([
    ['PUBLIC_URL', 'auth.example.com'],
    ['PUBLIC_URL', 'https://auth.example.com/api'],
    ['PUBLIC_URL', 'ftp://auth.example.com'],
    ['APP_URL', 'https://app.example.com/?x=1'],
    ['APP_URL', 'javascript:alert(1)'],
  ])('refuses %s=%p naming it', (name, value) => {
    expect(problemsOf({ [name]: value }).join('\n')).toContain(name);
  });

  it('wants https for both in production', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      PUBLIC_URL: 'http://auth.example.com',
      APP_URL: 'http://app.example.com',
    }).join('\n');
    expect(problems).toContain('PUBLIC_URL must be https');
    expect(problems).toContain('APP_URL must be https');
  });

  it('names every key production lacks in one start, and a weak refresh secret anywhere', () => {
    const production = problemsOf({ NODE_ENV: 'production' }).join('\n');
    expect(production).toContain('ACCESS_TOKEN_PRIVATE_KEY');
    expect(production).toContain('REFRESH_TOKEN_SECRET');
    expect(problemsOf({ REFRESH_TOKEN_SECRET: 'x'.repeat(31) }).join('\n')).toContain(
      'REFRESH_TOKEN_SECRET is too weak',
    );
  });

  it('reads the link lifetimes, the verification requirement and the recovery limit', () => {
    const config = loadConfig({
      EMAIL_VERIFICATION_TTL: '2h',
      PASSWORD_RESET_TTL: '10m',
      REQUIRE_EMAIL_VERIFICATION: 'true',
      THROTTLE_RECOVERY_LIMIT: '3',
    });
    expect(config.recovery).toEqual({ verificationTtl: 7200, resetTtl: 600, requireVerification: true });
    expect(config.throttle.recovery).toEqual({ limit: 3, ttl: 900 });
    expect(loadConfig({}).recovery).toEqual({
      verificationTtl: 86400,
      resetTtl: 1800,
      requireVerification: false,
    });
  });
});

/** The least a production start needs, to see what production changes by itself. */
function productionEnvForLogs(): Record<string, string> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    NODE_ENV: 'production',
    ACCESS_TOKEN_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    REFRESH_TOKEN_SECRET: randomBytes(32).toString('hex'),
    SMTP_URL: 'smtps://mail.example.com',
    PUBLIC_URL: 'https://auth.example.com',
    MFA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
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
    expect(problemsText({ ...CORP, ...changes })).toContain(named);
  });

  it('refuses an http issuer unless insecure issuers are allowed, and allowing them in production', () => {
    const insecure = { ...CORP, OAUTH_CORP_ISSUER: 'http://localhost:9000' };
    expect(problemsText(insecure)).toContain('OAUTH_CORP_ISSUER must be https');
    expect(problemsText({ ...CORP, OAUTH_CORP_ISSUER: 'HTTP://localhost:9000' })).toContain(
      'OAUTH_CORP_ISSUER must be https',
    );
    expect(loadConfig({ ...insecure, OAUTH_ALLOW_INSECURE_ISSUERS: 'true' }).oauth.providers[0].issuer).toBe(
      'http://localhost:9000',
    );
    expect(
      problemsText({ ...insecure, OAUTH_ALLOW_INSECURE_ISSUERS: 'true', NODE_ENV: 'production' }),
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
    expect(problemsText({ ...enterprise, OAUTH_GHE_GITHUB_URL: 'http://git.example.com' })).toContain(
      'OAUTH_GHE_GITHUB_URL must be https',
    );
  });
});

describe('loadConfig: second factor', () => {
  it('has no key of its own outside production (a development key is made), the Gatehouse issuer and 10 per 15 min', () => {
    const config = loadConfig({});
    expect(config.mfa).toEqual({ encryptionKey: undefined, totpIssuer: 'Gatehouse', adminRequireMfa: false });
    expect(config.throttle.mfa).toEqual({ limit: 10, ttl: 900 });
  });

  it('reads a key in hex or base64, both alphabets', () => {
    const key = Buffer.alloc(32, 7);
    for (const text of [key.toString('hex'), key.toString('base64'), key.toString('base64url')]) {
      expect(loadConfig({ MFA_ENCRYPTION_KEY: text }).mfa.encryptionKey).toEqual(key);
    }
    expect(decodeEncryptionKey(`  ${key.toString('hex')}\n`)).toEqual(key);
  });

  it.each(['short', 'ab'.repeat(31), 'ab'.repeat(33), Buffer.alloc(31).toString('base64'), 'z'.repeat(64)])(
    'refuses the key %p naming MFA_ENCRYPTION_KEY',
    (text) => {
      expect(problemsText({ MFA_ENCRYPTION_KEY: text })).toContain('MFA_ENCRYPTION_KEY must be 32 bytes');
    },
  );

  it('refuses production without a key, naming it', () => {
    expect(problemsText({ NODE_ENV: 'production' })).toContain('MFA_ENCRYPTION_KEY');
  });

  it('reads the issuer, the admin requirement and the limit', () => {
    const config = loadConfig({
      MFA_TOTP_ISSUER: 'Acme',
      ADMIN_REQUIRE_MFA: 'true',
      THROTTLE_MFA_LIMIT: '3',
      THROTTLE_MFA_TTL: '5m',
    });
    expect(config.mfa.totpIssuer).toBe('Acme');
    expect(config.mfa.adminRequireMfa).toBe(true);
    expect(config.throttle.mfa).toEqual({ limit: 3, ttl: 300 });
    expect(problemsText({ MFA_TOTP_ISSUER: 'a:b' })).toContain('MFA_TOTP_ISSUER');
  });
});

describe('loadConfig: passkeys', () => {
  it('binds passkeys to the host of APP_URL and accepts the pages of APP_URL and PUBLIC_URL on it', () => {
    expect(loadConfig({}).webauthn).toEqual({
      rpId: 'localhost',
      rpName: 'Gatehouse',
      origins: ['http://localhost:3000'],
    });
    expect(
      loadConfig({ APP_URL: 'https://app.example.com', PUBLIC_URL: 'https://auth.example.com' }).webauthn,
    ).toEqual({ rpId: 'app.example.com', rpName: 'Gatehouse', origins: ['https://app.example.com'] });
    expect(
      loadConfig({
        APP_URL: 'https://app.example.com',
        PUBLIC_URL: 'https://auth.example.com',
        WEBAUTHN_RP_ID: 'Example.com',
        WEBAUTHN_RP_NAME: 'Acme',
      }).webauthn,
    ).toEqual({
      rpId: 'example.com',
      rpName: 'Acme',
      origins: ['https://app.example.com', 'https://auth.example.com'],
    });
  });

  it('turns passkeys off, saying why, when the default RP id would be an IP address', () => {
    const { webauthn } = loadConfig({ APP_URL: 'http://127.0.0.1:3000' });
    expect(webauthn.rpId).toBeUndefined();
    expect(webauthn.offReason).toContain('127.0.0.1 is an IP address');
    expect(loadConfig({ APP_URL: 'http://[::1]:3000' }).webauthn.rpId).toBeUndefined();
  });

  it.each(['127.0.0.1', '::1', '[::1]', 'https://example.com', 'example.com:443', 'exa mple.com'])(
    'refuses WEBAUTHN_RP_ID=%p naming it',
    (rpId) => {
      expect(problemsText({ WEBAUTHN_RP_ID: rpId })).toContain('WEBAUTHN_RP_ID must be a domain name');
    },
  );

  it('refuses origins off the RP id, non-origins, and http ones in production', () => {
    expect(
      problemsText({ WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://example.org' }),
    ).toContain('WEBAUTHN_ORIGINS has https://example.org, which is not on example.com');
    expect(problemsText({ WEBAUTHN_RP_ID: 'example.com' })).toContain('WEBAUTHN_ORIGINS must be set');
    expect(problemsText({ WEBAUTHN_ORIGINS: 'localhost:3000' })).toContain(
      'WEBAUTHN_ORIGINS has "localhost:3000"',
    );
    expect(
      problemsText({ WEBAUTHN_ORIGINS: 'https://notexample.com', WEBAUTHN_RP_ID: 'example.com' }),
    ).toContain('not on example.com');
    expect(
      problemsText({
        NODE_ENV: 'production',
        APP_URL: 'https://example.com',
        PUBLIC_URL: 'https://example.com',
        WEBAUTHN_ORIGINS: 'http://example.com',
      }),
    ).toContain('must be https with NODE_ENV=production');
    expect(
      loadConfig({
        APP_URL: 'https://example.com',
        WEBAUTHN_ORIGINS: 'https://example.com, https://m.example.com',
      }).webauthn.origins,
    ).toEqual(['https://example.com', 'https://m.example.com']);
  });
});

describe('loadConfig: metrics', () => {
  const token = 'm'.repeat(31) + 'X';

  it('has no token by default: the metrics route stays closed', () => {
    expect(loadConfig({}).metrics.token).toBeUndefined();
  });

  it('reads the token inline or from a file, without the file’s trailing newline', () => {
    expect(loadConfig({ METRICS_TOKEN: token }).metrics.token).toBe(token);
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
    try {
      const file = join(dir, 'metrics-token');
      writeFileSync(file, `${token}\n`);
      expect(loadConfig({ METRICS_TOKEN_FILE: file }).metrics.token).toBe(token);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a token shorter than 32 characters, naming the variable it came from', () => {
    expect(problemsText({ METRICS_TOKEN: 'short' })).toMatch(
      /^METRICS_TOKEN must be at least 32 characters/m,
    );
    expect(problemsText({ METRICS_TOKEN: `${'a'.repeat(20)} ${'b'.repeat(20)}` })).toContain('METRICS_TOKEN');
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
    try {
      const file = join(dir, 'metrics-token');
      writeFileSync(file, 'too-short\n');
      expect(problemsText({ METRICS_TOKEN_FILE: file })).toContain('METRICS_TOKEN_FILE must be at least 32');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses the token given both inline and as a file, and an unreadable file', () => {
    expect(problemsText({ METRICS_TOKEN: token, METRICS_TOKEN_FILE: '/tmp/nope' })).toContain(
      'METRICS_TOKEN or METRICS_TOKEN_FILE, not both',
    );
    expect(problemsText({ METRICS_TOKEN_FILE: '/nonexistent/metrics-token' })).toContain(
      'METRICS_TOKEN_FILE cannot read the file',
    );
  });
});

describe('loadConfig: workers and clean-up', () => {
  const shared = {
    DATABASE_URL: 'postgres://gatehouse@db.example.com/gatehouse',
    REDIS_URL: 'redis://redis.example.com:6379',
  };

  it('runs one process, which cleans, by default', () => {
    const config = loadConfig({});
    expect(config.workers).toBe(1);
    expect(config.cleanup).toMatchObject({ enabled: true, interval: 3600 });
  });

  it('reads a count, and auto as the cores the process may use', () => {
    expect(loadConfig({ ...shared, WORKERS: '4' }).workers).toBe(4);
    expect(loadConfig({ ...shared, WORKERS: ' 2 ' }).workers).toBe(2);
    expect(loadConfig({ ...shared, WORKERS: 'auto' }, false, 6).workers).toBe(6);
    expect(loadConfig({ ...shared, WORKERS: 'AUTO' }, false, 3).workers).toBe(3);
    // One core: auto is a single process, which needs nothing shared.
    expect(loadConfig({ WORKERS: 'auto' }, false, 1).workers).toBe(1);
    expect(loadConfig({ WORKERS: '1' }).workers).toBe(1);
  });

  it.each(['0', '-1', '1.5', '2x', 'all', 'max', '257', '1e2'])('refuses WORKERS=%p naming it', (value) => {
    expect(problemsText({ ...shared, WORKERS: value })).toMatch(
      /^WORKERS must be auto or a whole number from 1 to 256$/m,
    );
  });

  it('refuses more than one worker on the embedded database or without Redis, saying why', () => {
    expect(problemsOf({ WORKERS: '2' })).toEqual([
      'WORKERS is 2, which needs DATABASE_URL (a PostgreSQL server): the embedded database can be opened by one process only',
      'WORKERS is 2, which needs REDIS_URL: rate limits and the DPoP replay cache must be shared by the workers',
    ]);
    expect(problemsOf({ WORKERS: '2', REDIS_URL: shared.REDIS_URL })).toEqual([
      expect.stringMatching(/^WORKERS is 2, which needs DATABASE_URL/),
    ]);
    expect(problemsOf({ WORKERS: 'auto', DATABASE_URL: shared.DATABASE_URL }, 4)).toEqual([
      expect.stringMatching(/^WORKERS is 4, which needs REDIS_URL/),
    ]);
  });

  it('reads CLEANUP_INTERVAL=off as no clean-up in this process, and refuses other words', () => {
    expect(loadConfig({ CLEANUP_INTERVAL: 'off' }).cleanup.enabled).toBe(false);
    expect(loadConfig({ CLEANUP_INTERVAL: ' OFF ' }).cleanup.enabled).toBe(false);
    expect(loadConfig({ CLEANUP_INTERVAL: '10m' }).cleanup).toMatchObject({ enabled: true, interval: 600 });
    expect(problemsText({ CLEANUP_INTERVAL: 'never' })).toContain('CLEANUP_INTERVAL must be a duration');
    expect(problemsText({ CLEANUP_INTERVAL: '5s' })).toContain('CLEANUP_INTERVAL must be a duration');
  });
});

describe('loadConfig: organizations', () => {
  it('gives invitations a week by default, and reads INVITATION_TTL within a minute and 90 days', () => {
    expect(loadConfig({}).orgs).toEqual({ invitationTtl: 7 * 86400 });
    expect(loadConfig({ INVITATION_TTL: '48h' }).orgs.invitationTtl).toBe(48 * 3600);
    expect(loadConfig({ INVITATION_TTL: '90d' }).orgs.invitationTtl).toBe(90 * 86400);
    for (const value of ['59', '91d', 'soon', '-1d']) {
      expect(problemsText({ INVITATION_TTL: value })).toMatch(/^INVITATION_TTL must be a duration from 60s/m);
    }
  });
});

describe('loadConfig: account history', () => {
  it('keeps events a year by default, and reads AUDIT_RETENTION within a day and ten years', () => {
    expect(loadConfig({}).audit).toEqual({ retention: 365 * 86400 });
    expect(loadConfig({ AUDIT_RETENTION: '30d' }).audit.retention).toBe(30 * 86400);
    expect(loadConfig({ AUDIT_RETENTION: '3650d' }).audit.retention).toBe(3650 * 86400);
    for (const value of ['23h', '3651d', 'forever', '-1d']) {
      expect(problemsText({ AUDIT_RETENTION: value })).toMatch(/^AUDIT_RETENTION must be a duration from/m);
    }
  });
});
