import type { OAuthProviderSettings } from '@gatehouse/config';
import { failureFromClientError, OAuthFailure } from './oauth-failure';
import { authorizationUrlFor, loadOpenIdClient, OpenIdConfiguration } from './openid-client';
import {
  assertResponseIsOurs,
  AuthorizationSecrets,
  ProviderProfile,
  SignInProvider,
} from './sign-in-provider';

const PROVIDER_TIMEOUT_SECONDS = 10;

/** A claim that says yes: `true`, or the string some providers send. */
function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Any OpenID Connect provider, through openid-client: discovered on first use and cached; a discovery that
 * fails is forgotten, so a provider that was down is tried again on the next sign-in.
 */
export class OidcSignIn implements SignInProvider {
  readonly usesNonce = true;
  readonly id: string;
  readonly name: string;
  private configuration?: Promise<OpenIdConfiguration>;

  constructor(
    private readonly settings: OAuthProviderSettings & { issuer: string },
    private readonly allowInsecure: boolean,
  ) {
    this.id = settings.id;
    this.name = settings.name;
  }

  async authorizationUrl(secrets: AuthorizationSecrets, redirectUri: string): Promise<URL> {
    const { scopes } = this.settings;
    return authorizationUrlFor(
      await this.discover(),
      { scopes, secrets, redirectUri },
      { nonce: secrets.nonce ?? '' },
    );
  }

  async complete(callbackUrl: URL, secrets: AuthorizationSecrets): Promise<ProviderProfile> {
    const openid = await loadOpenIdClient();
    const config = await this.discover();
    assertResponseIsOurs(callbackUrl, secrets.state, config.serverMetadata());
    try {
      const tokens = await openid.authorizationCodeGrant(config, callbackUrl, {
        expectedState: secrets.state,
        expectedNonce: secrets.nonce,
        pkceCodeVerifier: secrets.codeVerifier,
        idTokenExpected: true,
      });
      const idToken = tokens.claims();
      if (!idToken) throw new OAuthFailure('provider_error');
      // Many providers (and OpenID Connect by default) put the email claims in userinfo only.
      const userinfo: Record<string, unknown> = config.serverMetadata().userinfo_endpoint
        ? await openid.fetchUserInfo(config, tokens.access_token, idToken.sub)
        : {};
      // Email and its verification from one source, so that a flag never vouches for another source's address.
      const source: Record<string, unknown> = text(userinfo.email) ? userinfo : idToken;
      return {
        issuer: idToken.iss,
        subject: idToken.sub,
        email: text(source.email),
        // Microsoft Entra sends no email_verified; its `xms_edov` (an optional claim) says the domain owner vouches.
        emailVerified: isTrue(source.email_verified) || isTrue(idToken.xms_edov),
        name: text(userinfo.name) ?? text(idToken.name),
      };
    } catch (error) {
      throw failureFromClientError(error);
    }
  }

  private discover(): Promise<OpenIdConfiguration> {
    this.configuration ??= this.runDiscovery().catch((error: unknown) => {
      this.configuration = undefined;
      throw new OAuthFailure('provider_error', { cause: error });
    });
    return this.configuration;
  }

  private async runDiscovery(): Promise<OpenIdConfiguration> {
    const openid = await loadOpenIdClient();
    const { issuer, clientId, clientSecret } = this.settings;
    const config = await openid.discovery(
      new URL(issuer),
      clientId,
      undefined,
      openid.ClientSecretBasic(clientSecret),
      {
        execute:
          this.allowInsecure && new URL(issuer).protocol === 'http:' ? [openid.allowInsecureRequests] : [],
        timeout: PROVIDER_TIMEOUT_SECONDS,
      },
    );
    // A provider that hangs must not hold a callback for the library's default half minute.
    config.timeout = PROVIDER_TIMEOUT_SECONDS;
    return config;
  }
}
