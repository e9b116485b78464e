import { EnvReader } from './env-reader';

/** An absolute http(s) origin (`https://auth.example.com`, no path), or undefined after recording why not. */
function readOrigin(env: EnvReader, name: string, production: boolean): string | undefined {
  const text = env.raw(name)?.trim();
  if (text === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== text.replace(/\/$/, '')) {
    return env.fail(name, 'must be an absolute http(s) origin such as https://app.example.com', undefined);
  }
  if (production && url.protocol !== 'https:') {
    return env.fail(name, 'must be https with NODE_ENV=production', undefined);
  }
  return url.origin;
}

/** A comma-separated list of origins (CORS_ORIGINS, WEBAUTHN_ORIGINS); undefined when unset. */
export function readOriginList(env: EnvReader, name: string): string[] | undefined {
  const text = env.raw(name);
  if (text === undefined) return undefined;
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
      env.fail(name, `has "${part}", which is not an origin such as https://app.example.com`, undefined);
      continue;
    }
    origins.push(url.origin);
  }
  return origins;
}

/**
 * PUBLIC_URL: where users reach Gatehouse (callback URLs are built from it, never from `Host`); APP_URL: the
 * front end's origin, where links in emails and redirects after a sign-in go.
 */
export function readPublicUrls(
  env: EnvReader,
  port: number,
  production: boolean,
): { publicUrl: string; appUrl: string } {
  const fallback = `http://localhost:${port}`;
  // Unset, it is the development address; a value given for production must be https.
  const publicUrl = readOrigin(env, 'PUBLIC_URL', production) ?? fallback;
  return { publicUrl, appUrl: readOrigin(env, 'APP_URL', production) ?? publicUrl };
}
