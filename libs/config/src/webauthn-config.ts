import { isIP } from 'node:net';
import { EnvReader } from './env-reader';
import { readOriginList } from './public-urls';

/** Where passkeys are bound (WebAuthn's relying party) and which pages may use them. */
export interface WebAuthnSettings {
  /** The RP id: a domain name; undefined when none is valid, and then passkeys are off (`offReason`). */
  readonly rpId?: string;
  /** What authenticators show beside the account. */
  readonly rpName: string;
  /** The origins whose pages may create and use the passkeys, each on the RP id or one of its subdomains. */
  readonly origins: readonly string[];
  /** Why passkeys are off, said at start. */
  readonly offReason?: string;
}

const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** A page at `origin` may use passkeys of `rpId` when its host is the RP id or a subdomain of it. */
function originMatches(origin: string, rpId: string): boolean {
  const host = new URL(origin).hostname;
  return host === rpId || host.endsWith(`.${rpId}`);
}

/**
 * WEBAUTHN_RP_ID (default: the host of APP_URL), WEBAUTHN_RP_NAME (default `Gatehouse`), WEBAUTHN_ORIGINS
 * (default: the origins of APP_URL and PUBLIC_URL that sit on the RP id). Browsers refuse an IP address as an RP
 * id: given explicitly it stops the start; as the default it turns passkeys off, with the reason.
 */
export function readWebAuthn(
  env: EnvReader,
  urls: { publicUrl: string; appUrl: string },
  production: boolean,
): WebAuthnSettings {
  const rpName = env.string('WEBAUTHN_RP_NAME', 'Gatehouse');
  if (!/^[^\r\n]{1,64}$/.test(rpName)) {
    env.fail('WEBAUTHN_RP_NAME', 'must be 1-64 characters without line breaks', undefined);
  }
  const explicitRpId = env.raw('WEBAUTHN_RP_ID')?.trim().toLowerCase();
  let rpId: string | undefined;
  if (explicitRpId !== undefined) {
    if (isIP(explicitRpId.replace(/^\[|\]$/g, ''))) {
      env.fail('WEBAUTHN_RP_ID', 'must be a domain name: browsers never accept an IP address', undefined);
    } else if (!DOMAIN.test(explicitRpId)) {
      env.fail(
        'WEBAUTHN_RP_ID',
        'must be a domain name such as example.com (no scheme, port or path)',
        undefined,
      );
    } else {
      rpId = explicitRpId;
    }
  } else {
    const host = new URL(urls.appUrl).hostname;
    if (isIP(host.replace(/^\[|\]$/g, ''))) {
      return {
        rpName,
        origins: [],
        offReason:
          `passkeys are off: APP_URL's host ${host} is an IP address, which browsers never accept as a ` +
          'WebAuthn RP id; set WEBAUTHN_RP_ID to a domain name (localhost in development)',
      };
    }
    rpId = host;
  }
  if (rpId === undefined) return { rpName, origins: [] };

  const explicitOrigins = readOriginList(env, 'WEBAUTHN_ORIGINS');
  const given = explicitOrigins !== undefined;
  const candidates = explicitOrigins ?? [...new Set([urls.appUrl, urls.publicUrl])];
  const origins: string[] = [];
  for (const origin of candidates) {
    // Defaults that cannot serve (another host, http in production) are left out; given ones are errors.
    if (!originMatches(origin, rpId)) {
      if (given)
        env.fail('WEBAUTHN_ORIGINS', `has ${origin}, which is not on ${rpId} or a subdomain`, undefined);
    } else if (production && new URL(origin).protocol !== 'https:') {
      if (given)
        env.fail(
          'WEBAUTHN_ORIGINS',
          `has ${origin}: origins must be https with NODE_ENV=production`,
          undefined,
        );
    } else {
      origins.push(origin);
    }
  }
  if (given && explicitOrigins.length === 0)
    env.fail('WEBAUTHN_ORIGINS', 'must name at least one origin', undefined);
  if (!given && origins.length === 0) {
    if (explicitRpId !== undefined) {
      env.fail('WEBAUTHN_ORIGINS', `must be set: neither APP_URL nor PUBLIC_URL is on ${rpId}`, undefined);
    }
    return {
      rpName,
      origins,
      offReason: `passkeys are off: no https page on ${rpId} (set APP_URL, or WEBAUTHN_ORIGINS)`,
    };
  }
  return { rpId, rpName, origins };
}
