import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppConfig, KeySource, LogLevel, NodeEnv, SameSite, TrustProxy } from './app-config';
import { ConfigError } from './config-error';
import { parseDuration } from './duration';

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const SAME_SITES: readonly SameSite[] = ['strict', 'lax', 'none'];
const NODE_ENVS: readonly NodeEnv[] = ['development', 'test', 'production'];
/** The longest delay a Node.js timer honours (about 24.8 days); anything above fires at once. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const PASSWORD_MAX_LENGTH = 128;

/** Reads variables one by one, remembering every problem so a single start reports them all. */
class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name)?.trim() ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const value = Number(text.trim());
    if (!Number.isInteger(value) || value < min || value > max) {
      return this.fail(name, `must be a whole number from ${min} to ${max}`, fallback);
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const text = this.raw(name)?.trim().toLowerCase();
    if (text === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
    return this.fail(name, 'must be true or false', fallback);
  }

  duration(name: string, fallback: number, min = 1, max = Infinity): number {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const seconds = parseDuration(text);
    if (seconds === undefined || seconds < min || seconds > max) {
      const range = max === Infinity ? `of at least ${min}s` : `from ${min}s to ${max}s`;
      return this.fail(
        name,
        `must be a duration ${range}, in seconds ("900") or as "15m", "12h", "7d"`,
        fallback,
      );
    }
    return seconds;
  }

  /** A URL that `new URL` accepts, with one of the given schemes and an authority (`scheme://`). */
  url(name: string, schemes: readonly string[], requireHost: boolean): string | undefined {
    const text = this.raw(name)?.trim();
    if (text === undefined) return undefined;
    const expected = `must be a ${schemes.map((scheme) => `${scheme}//`).join(' or ')} URL`;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return this.fail(name, expected, undefined);
    }
    // `postgres:/db` parses, but it has no host part: a typo, never what was meant.
    if (!schemes.includes(url.protocol) || !text.slice(url.protocol.length).startsWith('//')) {
      return this.fail(name, expected, undefined);
    }
    if (requireHost && url.hostname === '') return this.fail(name, `${expected} with a host`, undefined);
    return text;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const text = this.raw(name)?.trim().toLowerCase();
    if (text === undefined) return fallback;
    if ((allowed as readonly string[]).includes(text)) return text as T;
    return this.fail(name, `must be one of ${allowed.join(', ')}`, fallback);
  }

  /** A PEM or secret given inline as NAME or as a path in NAME_FILE (not both). */
  keySource(name: string): KeySource | undefined {
    const inline = this.raw(name);
    const path = this.raw(`${name}_FILE`);
    if (inline !== undefined && path !== undefined) {
      return this.fail(name, `set either ${name} or ${name}_FILE, not both`, undefined);
    }
    if (inline !== undefined) return { variable: name, pem: inline.replace(/\\n/g, '\n') };
    if (path === undefined) return undefined;
    try {
      return { variable: `${name}_FILE`, pem: readFileSync(resolve(path), 'utf8') };
    } catch {
      return this.fail(`${name}_FILE`, `cannot read the file ${path}`, undefined);
    }
  }

  fail<T>(name: string, why: string, fallback: T): T {
    this.problems.push(`${name} ${why}`);
    return fallback;
  }
}

function readTrustProxy(env: EnvReader): TrustProxy {
  const text = env.raw('TRUST_PROXY')?.trim();
  if (text === undefined || ['false', '0', 'no', 'off'].includes(text.toLowerCase())) return false;
  if (['true', 'yes', 'on'].includes(text.toLowerCase())) return true;
  if (/^\d+$/.test(text)) return Number(text);
  const addresses = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (addresses.every((address) => /^[0-9a-fA-F.:/]+$/.test(address) || address === 'loopback'))
    return addresses;
  return env.fail(
    'TRUST_PROXY',
    'must be false, true, a hop count, or a comma-separated list of proxy addresses',
    false,
  );
}

function readOrigins(env: EnvReader): string[] {
  const text = env.raw('CORS_ORIGINS');
  if (text === undefined) return [];
  const origins: string[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    let url: URL | undefined;
    try {
      url = new URL(part);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== part.replace(/\/$/, '')) {
      env.fail(
        'CORS_ORIGINS',
        `has "${part}", which is not an origin such as https://app.example.com`,
        undefined,
      );
      continue;
    }
    origins.push(url.origin);
  }
  return origins;
}

function readAdmin(env: EnvReader, minLength: number): AppConfig['admin'] {
  const email = env.raw('ADMIN_EMAIL')?.trim();
  const password = env.raw('ADMIN_PASSWORD');
  if (email === undefined && password === undefined) return undefined;
  if (email === undefined || password === undefined) {
    return env.fail('ADMIN_EMAIL', 'and ADMIN_PASSWORD must be set together', undefined);
  }
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) return env.fail('ADMIN_EMAIL', 'must be an email address', undefined);
  if ([...password.normalize('NFKC')].length < minLength) {
    return env.fail(
      'ADMIN_PASSWORD',
      `must be at least ${minLength} characters (PASSWORD_MIN_LENGTH)`,
      undefined,
    );
  }
  return { email, password };
}

/**
 * Builds the one settings object from the environment. Throws a ConfigError naming every wrong variable;
 * this is the only place in Gatehouse that reads `process.env`.
 */
export function loadConfig(source: Env = process.env): AppConfig {
  const env = new EnvReader(source);
  // Case-folded, so that `Production` gets the production rules instead of silently getting development keys.
  const nodeEnv = env.oneOf('NODE_ENV', NODE_ENVS, 'development');
  const minLength = env.integer('PASSWORD_MIN_LENGTH', 15, 8, PASSWORD_MAX_LENGTH);
  const accessTtl = env.duration('ACCESS_TOKEN_TTL', 15 * 60);
  const refreshTtl = env.duration('REFRESH_TOKEN_TTL', 7 * 86400);
  const sessionMaxAgeText = env.raw('SESSION_MAX_AGE');
  const sessionMaxAge = sessionMaxAgeText === undefined ? undefined : env.duration('SESSION_MAX_AGE', 0);
  const cookie = {
    name: env.string('COOKIE_NAME', 'refresh_token'),
    sameSite: env.oneOf('COOKIE_SAMESITE', SAME_SITES, 'strict'),
    secure: env.boolean('COOKIE_SECURE', true),
  };
  if (!/^[A-Za-z0-9_\-.]{1,64}$/.test(cookie.name)) {
    env.fail('COOKIE_NAME', 'must be 1-64 letters, digits, "_", "-" or "."', undefined);
  }
  if (cookie.sameSite === 'none' && !cookie.secure) {
    env.fail(
      'COOKIE_SAMESITE',
      'none requires COOKIE_SECURE=true (browsers drop such cookies otherwise)',
      undefined,
    );
  }

  const config: AppConfig = {
    nodeEnv,
    production: nodeEnv === 'production',
    http: {
      host: env.string('HOST', '0.0.0.0'),
      port: env.integer('PORT', 3000, 0, 65535),
      trustProxy: readTrustProxy(env),
      corsOrigins: readOrigins(env),
      bodyLimitBytes: 100 * 1024,
      requestTimeout: env.duration('REQUEST_TIMEOUT', 30, 1, MAX_TIMER_SECONDS),
      shutdownGrace: env.duration('SHUTDOWN_GRACE', 10, 1, MAX_TIMER_SECONDS),
    },
    log: { level: env.oneOf('LOG_LEVEL', LOG_LEVELS, 'info') },
    database: {
      // A socket directory may stand in for the host (`postgres:///db?host=/run/postgresql`).
      url: env.url('DATABASE_URL', ['postgres:', 'postgresql:'], false),
      dataDir: resolve(env.string('DATA_DIR', './data')),
      migrationsRun: env.boolean('DB_MIGRATIONS_RUN', true),
    },
    cleanup: {
      interval: env.duration('CLEANUP_INTERVAL', 3600, 10),
      sessionRetention: env.duration('SESSION_RETENTION', 30 * 86400),
    },
    tokens: {
      accessTtl,
      refreshTtl,
      sessionMaxAge,
      reuseGraceSeconds: env.integer('REFRESH_REUSE_GRACE_SECONDS', 10, 0, 300),
      issuer: env.string('JWT_ISSUER', 'gatehouse'),
      accessAudience: env.string('JWT_ACCESS_AUDIENCE', 'gatehouse-api'),
      refreshAudience: env.string('JWT_REFRESH_AUDIENCE', 'gatehouse-refresh'),
      clientId: env.string('JWT_CLIENT_ID', 'gatehouse-web'),
    },
    keys: {
      accessPrivateKey: env.keySource('ACCESS_TOKEN_PRIVATE_KEY'),
      accessPreviousPublicKeys: env.keySource('ACCESS_TOKEN_PREVIOUS_PUBLIC_KEYS'),
      refreshSecret: env.keySource('REFRESH_TOKEN_SECRET'),
    },
    cookie,
    throttle: {
      login: {
        limit: env.integer('THROTTLE_LOGIN_LIMIT', 10, 1, 1_000_000),
        ttl: env.duration('THROTTLE_LOGIN_TTL', 60),
      },
      register: {
        limit: env.integer('THROTTLE_REGISTER_LIMIT', 20, 1, 1_000_000),
        ttl: env.duration('THROTTLE_REGISTER_TTL', 60),
      },
      refresh: {
        limit: env.integer('THROTTLE_REFRESH_LIMIT', 300, 1, 1_000_000),
        ttl: env.duration('THROTTLE_REFRESH_TTL', 60),
      },
      public: {
        limit: env.integer('THROTTLE_PUBLIC_LIMIT', 1000, 1, 1_000_000),
        ttl: env.duration('THROTTLE_PUBLIC_TTL', 60),
      },
      redisUrl: env.url('REDIS_URL', ['redis:', 'rediss:'], true),
    },
    password: { minLength },
    admin: readAdmin(env, minLength),
  };

  if (config.cleanup.sessionRetention < accessTtl) {
    env.fail(
      'SESSION_RETENTION',
      'must be at least ACCESS_TOKEN_TTL: revocations are rebuilt from those rows',
      undefined,
    );
  }
  if (config.tokens.accessAudience === config.tokens.refreshAudience) {
    env.fail('JWT_REFRESH_AUDIENCE', 'must differ from JWT_ACCESS_AUDIENCE', undefined);
  }
  if (env.problems.length > 0) throw new ConfigError(env.problems);
  return Object.freeze(config);
}
