import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { AppConfig, LogFormat, LogLevel, NodeEnv, SameSite, TrustProxy } from './app-config';
import { ConfigError } from './config-error';
import { Env, EnvReader } from './env-reader';
import { readDelivery } from './delivery-config';
import { readMail } from './mail-config';
import { readMetrics } from './metrics-config';
import { readDpop } from './dpop-config';
import { readMfa } from './mfa-config';
import { readOAuth } from './oauth-config';
import { readOrgs } from './orgs-config';
import { readAudit } from './audit-config';
import { readEmailCode } from './email-code-config';
import { readOriginList, readPublicUrls } from './public-urls';
import { readRecovery } from './recovery-config';
import { readWebAuthn } from './webauthn-config';
import { readWebhooks } from './webhooks-config';
import { checkWorkersShareState, readWorkers } from './workers-config';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json'];
const SAME_SITES: readonly SameSite[] = ['strict', 'lax', 'none'];
const NODE_ENVS: readonly NodeEnv[] = ['development', 'test', 'production'];
/** The longest delay a Node.js timer honours (about 24.8 days); anything above fires at once. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const PASSWORD_MAX_LENGTH = 128;
const MIN_REFRESH_SECRET_BYTES = 32;

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

/** CLEANUP_INTERVAL: a duration, or `off` for an instance (or worker) that leaves the clean-up to another. */
function readCleanup(env: EnvReader): Pick<AppConfig['cleanup'], 'enabled' | 'interval'> {
  const off = env.raw('CLEANUP_INTERVAL')?.trim().toLowerCase() === 'off';
  return { enabled: !off, interval: off ? 3600 : env.duration('CLEANUP_INTERVAL', 3600, 10) };
}

/**
 * Builds the one settings object from the environment. Throws a ConfigError naming every wrong variable;
 * this is the only place in Gatehouse that reads `process.env`. `stdoutIsTerminal` picks the default log format;
 * `cores` is what `WORKERS=auto` means.
 */
export function loadConfig(
  source: Env = process.env,
  stdoutIsTerminal: boolean = process.stdout.isTTY === true,
  cores: number = availableParallelism(),
): AppConfig {
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

  const production = nodeEnv === 'production';
  const port = env.integer('PORT', 3000, 0, 65535);
  const urls = readPublicUrls(env, port, production);
  const config: AppConfig = {
    nodeEnv,
    production,
    http: {
      host: env.string('HOST', '0.0.0.0'),
      port,
      trustProxy: readTrustProxy(env),
      corsOrigins: readOriginList(env, 'CORS_ORIGINS') ?? [],
      bodyLimitBytes: 100 * 1024,
      requestTimeout: env.duration('REQUEST_TIMEOUT', 30, 1, MAX_TIMER_SECONDS),
      keepAliveTimeout: env.duration('KEEP_ALIVE_TIMEOUT', 65, 1, MAX_TIMER_SECONDS),
      shutdownGrace: env.duration('SHUTDOWN_GRACE', 10, 1, MAX_TIMER_SECONDS),
      shutdownDelay: env.duration('SHUTDOWN_DELAY', 0, 0, 300),
    },
    urls,
    log: {
      level: env.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
      // A person reads a terminal; a collector reads everything else, and production is always collected.
      format: env.oneOf('LOG_FORMAT', LOG_FORMATS, stdoutIsTerminal && !production ? 'pretty' : 'json'),
    },
    database: {
      // A socket directory may stand in for the host (`postgres:///db?host=/run/postgresql`).
      url: env.url('DATABASE_URL', ['postgres:', 'postgresql:'], false),
      dataDir: resolve(env.string('DATA_DIR', './data')),
      migrationsRun: env.boolean('DB_MIGRATIONS_RUN', true),
    },
    workers: readWorkers(env, cores),
    cleanup: {
      ...readCleanup(env),
      sessionRetention: env.duration('SESSION_RETENTION', 30 * 86400),
    },
    tokens: {
      accessTtl,
      refreshTtl,
      sessionMaxAge,
      reuseGraceSeconds: env.integer('REFRESH_REUSE_GRACE_SECONDS', 10, 0, 300),
      reauthMaxAge: env.duration('REAUTH_MAX_AGE', 300, 1, 86400),
      // The public origin by default: RFC 8414 discovery finds an issuer at its URL, and clients check the match.
      issuer: env.string('JWT_ISSUER', urls.publicUrl),
      accessAudience: env.string('JWT_ACCESS_AUDIENCE', 'gatehouse-api'),
      refreshAudience: env.string('JWT_REFRESH_AUDIENCE', 'gatehouse-refresh'),
      clientId: env.string('JWT_CLIENT_ID', 'gatehouse-web'),
      clientTokenTtl: env.duration('CLIENT_TOKEN_TTL', 300, 1, 86400),
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
      mfa: {
        limit: env.integer('THROTTLE_MFA_LIMIT', 10, 1, 1_000_000),
        ttl: env.duration('THROTTLE_MFA_TTL', 900),
      },
      recovery: {
        limit: env.integer('THROTTLE_RECOVERY_LIMIT', 5, 1, 1_000_000),
        ttl: env.duration('THROTTLE_RECOVERY_TTL', 900),
      },
      invite: {
        limit: env.integer('THROTTLE_INVITE_LIMIT', 50, 1, 1_000_000),
        ttl: env.duration('THROTTLE_INVITE_TTL', 3600),
      },
      apiKey: {
        limit: env.integer('THROTTLE_API_KEY_LIMIT', 600, 1, 1_000_000),
        ttl: env.duration('THROTTLE_API_KEY_TTL', 60),
      },
      redisUrl: env.url('REDIS_URL', ['redis:', 'rediss:'], true),
    },
    password: { minLength },
    mail: readMail(env, nodeEnv === 'production'),
    delivery: readDelivery(env),
    webhooks: readWebhooks(env),
    recovery: readRecovery(env),
    emailCode: readEmailCode(env),
    orgs: readOrgs(env),
    audit: readAudit(env),
    oauth: readOAuth(env, production),
    mfa: readMfa(env, production),
    dpop: readDpop(env),
    webauthn: readWebAuthn(env, urls, production),
    metrics: readMetrics(env),
    admin: readAdmin(env, minLength),
  };

  if (config.cleanup.sessionRetention < accessTtl) {
    env.fail(
      'SESSION_RETENTION',
      'must be at least ACCESS_TOKEN_TTL: revocations are rebuilt from those rows',
      undefined,
    );
  }
  // Said here too, not only when the keys are loaded, so one start names every setting production lacks.
  if (production) {
    for (const [name, source] of [
      ['ACCESS_TOKEN_PRIVATE_KEY', config.keys.accessPrivateKey],
      ['REFRESH_TOKEN_SECRET', config.keys.refreshSecret],
    ] as const) {
      if (!source) env.fail(name, `(or ${name}_FILE) must be set when NODE_ENV=production`, undefined);
    }
  }
  const secret = config.keys.refreshSecret;
  if (secret && Buffer.byteLength(secret.pem.trim(), 'utf8') < MIN_REFRESH_SECRET_BYTES) {
    env.fail(
      secret.variable,
      `is too weak: use at least ${MIN_REFRESH_SECRET_BYTES} random characters`,
      undefined,
    );
  }
  checkWorkersShareState(env, config.workers, config.database.url, config.throttle.redisUrl);
  if (config.tokens.accessAudience === config.tokens.refreshAudience) {
    env.fail('JWT_REFRESH_AUDIENCE', 'must differ from JWT_ACCESS_AUDIENCE', undefined);
  }
  if (env.problems.length > 0) throw new ConfigError(env.problems);
  return Object.freeze(config);
}
