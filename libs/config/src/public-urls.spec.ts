import { ConfigError } from './config-error';
import { loadConfig } from './load-config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

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
