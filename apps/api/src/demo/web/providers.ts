/**
 * Other providers (OpenID Connect, GitHub): a sign-in link for each, the Other ways to sign in panel with the
 * accounts linked there, and the error a failed sign-in elsewhere comes back with.
 */
import { IdentityDto, ProviderDto } from '@gatehouse/client';
import { loadAccountActivity } from './account-activity';
import { act } from './actions';
import { logActivity } from './activity-log';
import { client } from './client';
import { element, make } from './dom';
import { dateTimeFormat } from './time-format';

const ui = {
  providerSignIn: element('provider-sign-in'),
  providerLinks: element('provider-links'),
  identitiesPanel: element('identities-panel'),
  identities: element<HTMLTableElement>('identities'),
  identitiesBody: element<HTMLTableElement>('identities').tBodies[0],
  identitiesEmpty: element('identities-empty'),
  linkButtons: element('link-buttons'),
};

/** The providers the server is configured with; empty until they have loaded (or when there are none). */
let providers: ProviderDto[] = [];
/** The signed-in user's accounts at providers, as last loaded. */
let identities: IdentityDto[] = [];

const providerName = (id: string) => providers.find((provider) => provider.id === id)?.name ?? id;

/** A sign-in link per provider (a plain link: the browser leaves for the provider), and a Link button each. */
function renderProviders(): void {
  ui.providerSignIn.hidden = providers.length === 0;
  ui.providerLinks.replaceChildren(
    ...providers.map((provider) => {
      const link = make('a', `Sign in with ${provider.name}`, 'button-link');
      link.href = client.oauthStartUrl(provider.id);
      const item = make('li');
      item.append(link);
      return item;
    }),
  );
  ui.linkButtons.replaceChildren(
    ...providers.map((provider) => {
      const button = make('button', `Link ${provider.name}`, 'secondary');
      button.type = 'button';
      button.addEventListener('click', () => void act(button, () => linkProvider(provider)));
      return button;
    }),
  );
  renderIdentities();
}

function renderIdentities(): void {
  ui.identitiesPanel.hidden = providers.length === 0 && identities.length === 0;
  ui.identities.hidden = identities.length === 0;
  ui.identitiesEmpty.hidden = identities.length > 0;
  ui.identitiesBody.replaceChildren(
    ...identities.map((identity) => {
      const name = providerName(identity.provider);
      const unlink = make('button', 'Unlink');
      unlink.type = 'button';
      unlink.setAttribute(
        'aria-label',
        `Unlink the ${name} account${identity.email ? ` ${identity.email}` : ''}`,
      );
      unlink.addEventListener('click', () => void act(unlink, () => unlinkIdentity(identity)));
      const action = make('td');
      action.append(unlink);
      const row = make('tr');
      row.append(
        make('td', name),
        make('td', identity.email ?? '—'),
        make('td', dateTimeFormat.format(new Date(identity.createdAt))),
        make('td', dateTimeFormat.format(new Date(identity.lastUsedAt))),
        action,
      );
      return row;
    }),
  );
}

export function clearIdentities(): void {
  identities = [];
  renderIdentities();
}

/** Without providers the page simply shows no buttons: the password forms work as before. */
export async function loadProviders(): Promise<void> {
  try {
    // The key first: the sign-in links carry its thumbprint, and the provider's sign-in comes back bound to it.
    [providers] = await Promise.all([client.providers(), client.dpopThumbprint()]);
  } catch {
    providers = [];
  }
  renderProviders();
}

export async function loadIdentities(): Promise<void> {
  identities = await client.identities();
  renderIdentities();
}

/** Off to the provider; back here with the same session, and the new identity in the list (or an error). */
async function linkProvider(provider: ProviderDto): Promise<void> {
  const { url } = await client.linkProvider(provider.id, location.pathname);
  location.assign(url);
}

async function unlinkIdentity(identity: IdentityDto): Promise<void> {
  await client.unlinkIdentity(identity.id);
  logActivity(`Unlinked the ${providerName(identity.provider)} account.`);
  await Promise.all([loadIdentities(), loadAccountActivity()]);
}

/** The codes the server sends the browser back with (`/?oauth_error=<code>`) when a sign-in elsewhere fails. */
type OAuthErrorCode =
  | 'access_denied'
  | 'invalid_request'
  | 'account_exists'
  | 'email_unverified'
  | 'identity_in_use'
  | 'account_disabled'
  | 'provider_error';

const OAUTH_ERRORS: Record<OAuthErrorCode, (provider: string) => string> = {
  access_denied: (provider) => `The sign-in was cancelled at ${provider}: nothing was changed.`,
  invalid_request: () =>
    'The sign-in could not be completed (it took too long, or began in another browser): please try again.',
  account_exists: (provider) =>
    `An account with this email already exists: sign in with your password, then link ${provider} from your account.`,
  email_unverified: (provider) =>
    `No account was created because ${provider} has not verified your email address: verify it there, or register with a password.`,
  identity_in_use: (provider) =>
    `That account at ${provider} is already linked to another account here: it was not linked to this one.`,
  account_disabled: () => 'This account is disabled: it cannot sign in.',
  provider_error: (provider) =>
    `The sign-in failed because ${provider} could not be reached or answered unexpectedly: please try again later.`,
};

/**
 * The error's readable sentence. The address does not say which provider it was: with only one configured,
 * it can only be that one. A code the page does not know is never echoed.
 */
export function oauthErrorMessage(code: string): string {
  const provider = providers.length === 1 ? providers[0].name : 'the provider';
  return Object.hasOwn(OAUTH_ERRORS, code)
    ? OAUTH_ERRORS[code as OAuthErrorCode](provider)
    : 'The sign-in with another provider failed: please try again.';
}

/** Takes `?oauth_error=` out of the address at once (the rest stays), so that a reload does not show it again. */
export function takeOAuthErrorFromAddress(): string | null {
  const params = new URLSearchParams(location.search);
  const code = params.get('oauth_error');
  if (code === null) return null;
  params.delete('oauth_error');
  const query = params.toString();
  history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  return code;
}
