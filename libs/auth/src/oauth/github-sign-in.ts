import type { OAuthProviderSettings } from '@gatehouse/config';
import { failureFromClientError, OAuthFailure } from './oauth-failure';
import { authorizationUrlFor, loadOpenIdClient, OpenIdConfiguration } from './openid-client';
import {
  assertResponseIsOurs,
  AuthorizationSecrets,
  ProviderProfile,
  SignInProvider,
} from './sign-in-provider';

const API_TIMEOUT_MS = 10_000;

interface GitHubUser {
  id?: unknown;
  login?: unknown;
  name?: unknown;
}

interface GitHubEmail {
  email?: unknown;
  primary?: unknown;
  verified?: unknown;
}

/**
 * GitHub (or a GitHub Enterprise server): OAuth 2 without an id_token. The code grant runs through openid-client
 * (state, PKCE, client authentication); who the user is comes from the API: the numeric id (a login can be
 * renamed and reused), and the primary address only when GitHub has verified it.
 */
export class GitHubSignIn implements SignInProvider {
  readonly usesNonce = false;
  readonly id: string;
  readonly name: string;
  private configuration?: Promise<OpenIdConfiguration>;

  constructor(
    private readonly settings: OAuthProviderSettings & { github: { webUrl: string; apiUrl: string } },
  ) {
    this.id = settings.id;
    this.name = settings.name;
  }

  async authorizationUrl(secrets: AuthorizationSecrets, redirectUri: string): Promise<URL> {
    const { scopes } = this.settings;
    // select_account: the user may pick another account instead of silently reusing the one signed in at GitHub.
    return authorizationUrlFor(
      await this.client(),
      { scopes, secrets, redirectUri },
      { prompt: 'select_account' },
    );
  }

  async complete(callbackUrl: URL, secrets: AuthorizationSecrets): Promise<ProviderProfile> {
    const openid = await loadOpenIdClient();
    const config = await this.client();
    assertResponseIsOurs(callbackUrl, secrets.state, config.serverMetadata());
    let accessToken: string;
    try {
      const tokens = await openid.authorizationCodeGrant(config, callbackUrl, {
        expectedState: secrets.state,
        pkceCodeVerifier: secrets.codeVerifier,
      });
      accessToken = tokens.access_token;
    } catch (error) {
      throw failureFromClientError(error);
    }
    const user = await this.api<GitHubUser>('/user', accessToken);
    const emails = await this.api<GitHubEmail[]>('/user/emails', accessToken);
    if (typeof user.id !== 'number' || !Number.isSafeInteger(user.id) || !Array.isArray(emails)) {
      throw new OAuthFailure('provider_error');
    }
    const primary = emails.find((entry) => entry.primary === true && typeof entry.email === 'string');
    const name = typeof user.name === 'string' && user.name ? user.name : user.login;
    return {
      issuer: this.settings.github.webUrl,
      subject: String(user.id),
      email: primary?.email as string | undefined,
      emailVerified: primary?.verified === true,
      name: typeof name === 'string' ? name : undefined,
    };
  }

  private client(): Promise<OpenIdConfiguration> {
    this.configuration ??= (async () => {
      const openid = await loadOpenIdClient();
      const { webUrl } = this.settings.github;
      const config = new openid.Configuration(
        {
          issuer: webUrl,
          authorization_endpoint: `${webUrl}/login/oauth/authorize`,
          token_endpoint: `${webUrl}/login/oauth/access_token`,
        },
        this.settings.clientId,
        undefined,
        openid.ClientSecretPost(this.settings.clientSecret),
      );
      if (new URL(webUrl).protocol === 'http:') openid.allowInsecureRequests(config);
      config.timeout = API_TIMEOUT_MS / 1000;
      return config;
    })();
    return this.configuration;
  }

  private async api<T>(path: string, accessToken: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.settings.github.apiUrl}${path}`, {
        headers: {
          Accept: 'application/vnd.github+json',
          Authorization: `Bearer ${accessToken}`,
          'User-Agent': 'Gatehouse',
          'X-GitHub-Api-Version': '2022-11-28',
        },
        signal: AbortSignal.timeout(API_TIMEOUT_MS),
      });
    } catch (error) {
      throw new OAuthFailure('provider_error', { cause: error });
    }
    if (!response.ok) throw new OAuthFailure('provider_error');
    try {
      return (await response.json()) as T;
    } catch (error) {
      throw new OAuthFailure('provider_error', { cause: error });
    }
  }
}
