import { ConfigError } from './config-error';
import { Env } from './env-reader';
import { loadConfig } from './load-config';

/** The provider id the probes configure; its variables are reported with the `<ID>` placeholder. */
const PROBE_PROVIDER = 'probe';
const PROBE_PREFIX = `OAUTH_${PROBE_PROVIDER.toUpperCase()}_`;
const PROVIDER_PLACEHOLDER = 'OAUTH_<ID>_';
const VARIABLE = /^[A-Z][A-Z0-9_]*$/;

/**
 * Environments that between them walk every branch of `loadConfig` that reads a variable: the defaults, production,
 * and one provider of each type (a provider's optional settings are read only once its required ones are valid).
 */
const PROBES: readonly Env[] = [
  {},
  { NODE_ENV: 'production' },
  { SESSION_MAX_AGE: '1h' },
  {
    OAUTH_PROVIDERS: PROBE_PROVIDER,
    [`${PROBE_PREFIX}TYPE`]: 'oidc',
    [`${PROBE_PREFIX}ISSUER`]: 'https://issuer.example.com',
    [`${PROBE_PREFIX}CLIENT_ID`]: 'probe',
    [`${PROBE_PREFIX}CLIENT_SECRET`]: 'probe',
  },
  {
    OAUTH_PROVIDERS: PROBE_PROVIDER,
    [`${PROBE_PREFIX}TYPE`]: 'github',
    [`${PROBE_PREFIX}CLIENT_ID`]: 'probe',
    [`${PROBE_PREFIX}CLIENT_SECRET`]: 'probe',
  },
];

/** An environment that remembers the name of every variable asked of it. */
function recording(env: Env, seen: Set<string>): Env {
  return new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string' && VARIABLE.test(name)) seen.add(name);
      return typeof name === 'string' ? target[name] : undefined;
    },
  });
}

/**
 * Every environment variable `loadConfig` reads, found by letting it read recording environments rather than kept
 * as a second list beside the code, so a setting added to the config appears here by itself. A provider's own
 * variables come back as `OAUTH_<ID>_…`. Sorted.
 */
export function listSettingNames(): string[] {
  const seen = new Set<string>();
  for (const probe of PROBES) {
    try {
      loadConfig(recording(probe, seen));
    } catch (error) {
      // Production without keys is refused, and that refusal is part of the walk; anything else is a real fault.
      if (!(error instanceof ConfigError)) throw error;
    }
  }
  return [...seen]
    .map((name) =>
      name.startsWith(PROBE_PREFIX) ? PROVIDER_PLACEHOLDER + name.slice(PROBE_PREFIX.length) : name,
    )
    .sort();
}
