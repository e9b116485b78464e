import { AppConfig } from '@gatehouse/config';
import { Injectable, NotFoundException } from '@nestjs/common';
import { GitHubSignIn } from './github-sign-in';
import { OidcSignIn } from './oidc-sign-in';
import { SignInProvider } from './sign-in-provider';

/** The providers OAUTH_PROVIDERS configures, by id. Nothing is fetched until a provider is first used. */
@Injectable()
export class SignInProviders {
  private readonly byId = new Map<string, SignInProvider>();

  constructor(private readonly config: AppConfig) {
    for (const settings of config.oauth.providers) {
      const { issuer, github } = settings;
      let provider: SignInProvider;
      if (settings.type === 'github' && github) provider = new GitHubSignIn({ ...settings, github });
      else if (issuer) provider = new OidcSignIn({ ...settings, issuer }, config.oauth.allowInsecureIssuers);
      else continue;
      this.byId.set(settings.id, provider);
    }
  }

  list(): SignInProvider[] {
    return [...this.byId.values()];
  }

  /** The provider of a route's `:provider`; 404 for one that is not configured. */
  get(id: string): SignInProvider {
    const provider = this.byId.get(id);
    if (!provider) throw new NotFoundException('unknown provider');
    return provider;
  }

  /** Where the provider sends the browser back: built from PUBLIC_URL, never from the request's Host. */
  redirectUri(id: string): string {
    return `${this.config.urls.publicUrl}/api/auth/oauth/${id}/callback`;
  }
}
