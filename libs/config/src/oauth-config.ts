import { EnvReader } from './env-reader';

export type OAuthProviderType = 'oidc' | 'github';

/** One sign-in provider as OAUTH_<ID>_* configures it. */
export interface OAuthProviderSettings {
  /** Lower-case letters and digits: the `:provider` of the routes and the `provider` of an identity. */
  readonly id: string;
  readonly type: OAuthProviderType;
  /** What the sign-in button says. */
  readonly name: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes: readonly string[];
  /** `oidc`: the issuer, discovered at `<issuer>/.well-known/openid-configuration`. */
  readonly issuer?: string;
  /** `github`: the web and API origins (github.com, or a GitHub Enterprise server). */
  readonly github?: { readonly webUrl: string; readonly apiUrl: string };
}

const TYPES: readonly OAuthProviderType[] = ['oidc', 'github'];
const ID_PATTERN = /^[a-z0-9]{1,32}$/;
const DEFAULT_SCOPES: Record<OAuthProviderType, string> = {
  oidc: 'openid email profile',
  // The numeric id and the addresses with their verified flags; nothing more is asked of the account.
  github: 'read:user user:email',
};

function readProvider(env: EnvReader, id: string, allowInsecure: boolean): OAuthProviderSettings | undefined {
  const prefix = `OAUTH_${id.toUpperCase()}_`;
  const type = env.oneOf(`${prefix}TYPE`, TYPES, 'oidc');
  const clientId = env.raw(`${prefix}CLIENT_ID`)?.trim();
  const clientSecret = env.keySource(`${prefix}CLIENT_SECRET`)?.pem.trim();
  if (!clientId) env.fail(`${prefix}CLIENT_ID`, `must be set for the provider ${id}`, undefined);
  if (!clientSecret) {
    env.fail(`${prefix}CLIENT_SECRET`, `(or _FILE) must be set for the provider ${id}`, undefined);
  }
  const scopes = env
    .string(`${prefix}SCOPES`, DEFAULT_SCOPES[type])
    .split(/[\s,]+/)
    .filter(Boolean);
  // An issuer is compared character for character with what discovery answers: a trailing slash stays.
  const secureUrl = (name: string, fallback?: string): string | undefined => {
    const text = env.url(name, ['https:', 'http:'], true) ?? fallback;
    if (text !== undefined && new URL(text).protocol === 'http:' && !allowInsecure) {
      return env.fail(
        name,
        'must be https (OAUTH_ALLOW_INSECURE_ISSUERS=true allows http outside production)',
        undefined,
      );
    }
    return text;
  };
  let issuer: string | undefined;
  let github: OAuthProviderSettings['github'];
  if (type === 'oidc') {
    if (env.raw(`${prefix}ISSUER`) === undefined) {
      env.fail(`${prefix}ISSUER`, `must be set for the oidc provider ${id}`, undefined);
    }
    issuer = secureUrl(`${prefix}ISSUER`);
    if (!scopes.includes('openid')) env.fail(`${prefix}SCOPES`, 'must include openid', undefined);
  } else {
    const webUrl = secureUrl(`${prefix}GITHUB_URL`, 'https://github.com');
    const apiUrl = secureUrl(`${prefix}GITHUB_API_URL`, 'https://api.github.com');
    if (webUrl && apiUrl) github = { webUrl: webUrl.replace(/\/+$/, ''), apiUrl: apiUrl.replace(/\/+$/, '') };
  }
  if (!clientId || !clientSecret || (type === 'oidc' ? !issuer : !github)) return undefined;
  const name = env.string(`${prefix}NAME`, id.charAt(0).toUpperCase() + id.slice(1));
  return { id, type, name, clientId, clientSecret, scopes, issuer, github };
}

/**
 * OAUTH_PROVIDERS (`corp,github`) and, for each, OAUTH_<ID>_TYPE, _ISSUER, _CLIENT_ID, _CLIENT_SECRET(_FILE),
 * _SCOPES, _NAME (and _GITHUB_URL, _GITHUB_API_URL for GitHub Enterprise). OAUTH_ALLOW_INSECURE_ISSUERS lets
 * an http issuer through, never in production.
 */
export function readOAuth(
  env: EnvReader,
  production: boolean,
): { providers: readonly OAuthProviderSettings[]; allowInsecureIssuers: boolean } {
  const allowInsecureIssuers = env.boolean('OAUTH_ALLOW_INSECURE_ISSUERS', false);
  if (allowInsecureIssuers && production) {
    env.fail('OAUTH_ALLOW_INSECURE_ISSUERS', 'must not be true with NODE_ENV=production', undefined);
  }
  const ids = (env.raw('OAUTH_PROVIDERS') ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const providers: OAuthProviderSettings[] = [];
  const seen = new Set<string>();
  for (const id of ids) {
    if (!ID_PATTERN.test(id)) {
      env.fail('OAUTH_PROVIDERS', `has "${id}": ids are 1-32 lower-case letters and digits`, undefined);
    } else if (seen.has(id)) {
      env.fail('OAUTH_PROVIDERS', `names ${id} twice`, undefined);
    } else {
      seen.add(id);
      const provider = readProvider(env, id, allowInsecureIssuers);
      if (provider) providers.push(provider);
    }
  }
  return { providers, allowInsecureIssuers };
}
