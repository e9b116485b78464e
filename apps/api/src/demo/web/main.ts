/**
 * The demo page: every call goes through the typed client (@gatehouse/client, libs/client). Built by scripts/build-demo.mjs into
 * dist/public/app.js. Text from the server is only ever set with textContent: a note titled `<script>` stays text.
 */
import {
  ApiError,
  ClientEvent,
  GatehouseClient,
  IdentityDto,
  LoginResult,
  NoteDto,
  PasskeyDto,
  ProviderDto,
  RefreshReason,
  SecondFactor,
  SessionDto,
  UserDto,
} from '@gatehouse/client';
import qrcode from 'qrcode-generator';
import { askForProof } from './reauth-dialog';
import { renderSessionBinding } from './session-binding';

const client: GatehouseClient = new GatehouseClient({
  autoRefresh: true,
  // A route that wants a recent sign-in asks for the password, a code or a passkey, then goes on. A session that
  // lacks the second factor is not asked here: the page tells the user to sign in again with it.
  onReauthenticationRequired: (request) =>
    request.secondFactor ? Promise.resolve(null) : askForProof(request, passkeysOnOffer()),
});

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const ui = {
  status: element('status'),
  error: element('error'),
  signedOut: element('signed-out'),
  signedIn: element('signed-in'),
  loginForm: element<HTMLFormElement>('login-form'),
  registerForm: element<HTMLFormElement>('register-form'),
  forgotForm: element<HTMLFormElement>('forgot-form'),
  forgotOutcome: element('forgot-outcome'),
  verifyPanel: element('verify-panel'),
  verifyButton: element<HTMLButtonElement>('verify-button'),
  verifyOutcome: element('verify-outcome'),
  confirmPanel: element('confirm-panel'),
  confirmButton: element<HTMLButtonElement>('confirm-button'),
  confirmOutcome: element('confirm-outcome'),
  resetPanel: element('reset-panel'),
  resetForm: element<HTMLFormElement>('reset-form'),
  resetOutcome: element('reset-outcome'),
  countdown: element('countdown'),
  expiresAt: element('expires-at'),
  sessionBinding: element('session-binding'),
  whoamiButton: element<HTMLButtonElement>('whoami-button'),
  whoami: element('whoami'),
  unverified: element('unverified'),
  resendButton: element<HTMLButtonElement>('resend-button'),
  resendOutcome: element('resend-outcome'),
  noteForm: element<HTMLFormElement>('note-form'),
  notesCount: element('notes-count'),
  notes: element('notes'),
  sessionsButton: element<HTMLButtonElement>('sessions-button'),
  sessionsBody: element<HTMLTableElement>('sessions').tBodies[0],
  providerSignIn: element('provider-sign-in'),
  providerLinks: element('provider-links'),
  identitiesPanel: element('identities-panel'),
  identities: element<HTMLTableElement>('identities'),
  identitiesBody: element<HTMLTableElement>('identities').tBodies[0],
  identitiesEmpty: element('identities-empty'),
  linkButtons: element('link-buttons'),
  logoutButton: element<HTMLButtonElement>('logout-button'),
  logoutAllButton: element<HTMLButtonElement>('logout-all-button'),
  activity: element('activity'),
  mfaPanel: element('mfa-panel'),
  mfaForm: element<HTMLFormElement>('mfa-form'),
  mfaCodeField: element('mfa-code-field'),
  mfaCode: element<HTMLInputElement>('mfa-code'),
  mfaRecoveryField: element('mfa-recovery-field'),
  mfaRecoveryCode: element<HTMLInputElement>('mfa-recovery-code'),
  mfaSwitch: element<HTMLButtonElement>('mfa-switch'),
  mfaCancel: element<HTMLButtonElement>('mfa-cancel'),
  totpSetupButton: element<HTMLButtonElement>('totp-setup-button'),
  totpSetup: element('totp-setup'),
  totpUrl: element('totp-url'),
  totpSecret: element('totp-secret'),
  totpQr: element('totp-qr'),
  totpConfirmForm: element<HTMLFormElement>('totp-confirm-form'),
  recoveryCodesPanel: element('recovery-codes-panel'),
  recoveryCodes: element('recovery-codes'),
  recoveryCodesDone: element<HTMLButtonElement>('recovery-codes-done'),
  totpManageForm: element<HTMLFormElement>('totp-manage-form'),
  twoFactorOutcome: element('two-factor-outcome'),
  passkeySignIn: element('passkey-sign-in'),
  passkeySignInButton: element<HTMLButtonElement>('passkey-sign-in-button'),
  passkeysPanel: element('passkeys-panel'),
  passkeysUnavailable: element('passkeys-unavailable'),
  passkeys: element<HTMLTableElement>('passkeys'),
  passkeysBody: element<HTMLTableElement>('passkeys').tBodies[0],
  passkeysEmpty: element('passkeys-empty'),
  passkeyAddForm: element<HTMLFormElement>('passkey-add-form'),
  passkeysOutcome: element('passkeys-outcome'),
};

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const clock = (at: number | string) => timeFormat.format(new Date(at));

function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// ---- Messages -----------------------------------------------------------------------------------------------

/** An error whose message is already the sentence to show. */
class Explained extends Error {}

/** The server's 403 for a change that needs a verified address first (a passkey, a provider, two-factor). */
const EMAIL_NOT_VERIFIED = /email not verified/i;

/** The sentence for an `ApiError` whose cause the page can name; undefined for the server's own words. */
function explainApiError(error: ApiError): string | undefined {
  if (error.status === 403 && EMAIL_NOT_VERIFIED.test(error.message)) {
    return 'Confirm your email address first: open the link we sent you (or send a new one with “Send the link again”), then try again.';
  }
  if (error.needsReauthentication && !error.needsSecondFactor) {
    return 'Nothing was changed: this needs you to confirm who you are (your password, a code or a passkey).';
  }
  return undefined;
}

function showError(error: unknown): void {
  const message =
    error instanceof ApiError
      ? (explainApiError(error) ??
        ((error.body ? [error.body.message].flat().join('; ') : error.message) || error.message))
      : error instanceof Explained
        ? error.message
        : error instanceof Error
          ? `The server could not be reached (${error.message}).`
          : String(error);
  ui.error.textContent = message;
  ui.error.hidden = false;
}

function clearError(): void {
  ui.error.textContent = '';
  ui.error.hidden = true;
}

function logActivity(text: string): void {
  const item = make('li');
  const time = make('time', clock(Date.now()));
  time.dateTime = new Date().toISOString();
  item.append(time, text);
  ui.activity.prepend(item);
  while (ui.activity.children.length > 50) ui.activity.lastElementChild?.remove();
}

const REFRESH_REASONS: Record<RefreshReason, string> = {
  restore: 'to restore the session after the page loaded',
  scheduled: 'shortly before expiry',
  expiring: 'shortly before expiry, on a request',
  unauthorized: 'after a 401',
  reauthenticated: 'after you confirmed who you are',
};

const LOGOUT_REASONS: Record<Extract<ClientEvent, { type: 'logout' }>['reason'], string> = {
  logout: 'Logged out',
  'logout-all': 'Logged out everywhere',
  'session-revoked': 'This session was revoked',
  'session-ended': 'The session has ended (logged out elsewhere, revoked or expired)',
};

const SESSION_ENDED = `${LOGOUT_REASONS['session-ended']}. Please log in again.`;

function describe(event: ClientEvent): string {
  const where = event.source === 'this-tab' ? 'in this tab' : 'by another tab';
  switch (event.type) {
    case 'login':
      return `Logged in as ${event.user.email} ${where}; the token expires at ${clock(event.expiresAt)}.`;
    case 'refresh':
      return `Access token refreshed ${where} ${REFRESH_REASONS[event.reason]}; it expires at ${clock(event.expiresAt)}.`;
    case 'logout':
      return `${LOGOUT_REASONS[event.reason]}${event.source === 'other-tab' ? ' (in another tab)' : ''}.`;
  }
}

// ---- Rendering ----------------------------------------------------------------------------------------------

function render(): void {
  const { user } = client.state;
  ui.signedIn.hidden = user === null;
  ui.signedOut.hidden = user !== null || pendingMfa !== null;
  ui.mfaPanel.hidden = user !== null || pendingMfa === null;
  ui.status.textContent = user
    ? `Logged in as ${user.email}${user.displayName ? ` (${user.displayName})` : ''}`
    : 'Not logged in';
  renderSessionBinding(client, ui.sessionBinding);
  if (user === null) {
    ui.whoami.replaceChildren();
    ui.unverified.hidden = true;
    ui.resendOutcome.textContent = '';
    ui.notes.replaceChildren();
    ui.notesCount.textContent = '';
    ui.sessionsBody.replaceChildren();
    identities = [];
    renderIdentities();
    passkeys = [];
    renaming = null;
    renderPasskeys();
    ui.passkeysOutcome.textContent = '';
    hideTwoFactorSecrets();
    ui.twoFactorOutcome.textContent = '';
  }
  tick();
}

function tick(): void {
  const { expiresAt } = client.state;
  if (expiresAt === null) {
    ui.countdown.textContent = '–';
    ui.expiresAt.textContent = '';
    return;
  }
  const seconds = Math.ceil((expiresAt - Date.now()) / 1000);
  ui.countdown.textContent = seconds > 0 ? `${seconds} s` : 'expired: the next request refreshes it';
  ui.expiresAt.textContent = `(at ${clock(expiresAt)})`;
}

function renderUser(user: UserDto): void {
  const facts: [string, string][] = [
    ['Email', user.email],
    ['Email verified', user.emailVerified ? 'Yes' : 'Not yet'],
    ['Display name', user.displayName ?? '—'],
    ['Roles', user.roles.join(', ')],
    ['User id', user.id],
    ['Member since', dateTimeFormat.format(new Date(user.createdAt))],
  ];
  ui.whoami.replaceChildren(...facts.flatMap(([term, value]) => [make('dt', term), make('dd', value)]));
  ui.unverified.hidden = user.emailVerified;
}

function renderNotes(items: NoteDto[], total: number): void {
  ui.notesCount.textContent =
    total === 0
      ? 'No notes yet.'
      : `${total} note${total === 1 ? '' : 's'}${total > items.length ? `, the ${items.length} newest shown` : ''}.`;
  ui.notes.replaceChildren(
    ...items.map((note) => {
      const item = make('li');
      item.append(make('strong', note.title));
      if (note.body) item.append(make('p', note.body));
      return item;
    }),
  );
}

/** A short, readable name for a user agent string. */
function deviceName(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = /(Edg|Firefox|Chrome|Chromium|Safari)\/[\d.]+/.exec(userAgent)?.[0].replace('Edg', 'Edge');
  const os = /\(([^;)]+)/.exec(userAgent)?.[1];
  return [browser?.split('.')[0], os && `on ${os}`].filter(Boolean).join(' ') || userAgent.slice(0, 60);
}

function renderSessions(sessions: SessionDto[]): void {
  ui.sessionsBody.replaceChildren(
    ...sessions.map((session) => {
      const row = make('tr', undefined, session.current ? 'current' : undefined);
      const label = make('td');
      label.append(make('span', session.id.slice(0, 8)));
      if (session.current) label.append(make('span', 'this session', 'badge'));
      const device = make('td', deviceName(session.userAgent));
      if (session.ip) device.append(make('span', ` · ${session.ip}`, 'hint'));
      const action = make('td');
      const revoke = make('button', 'Revoke');
      revoke.type = 'button';
      revoke.setAttribute(
        'aria-label',
        session.current
          ? 'Revoke this session (logs this browser out)'
          : `Revoke the session started ${dateTimeFormat.format(new Date(session.createdAt))}`,
      );
      revoke.addEventListener('click', () => void act(revoke, () => revokeSession(session)));
      action.append(revoke);
      row.append(
        label,
        device,
        make('td', dateTimeFormat.format(new Date(session.createdAt))),
        make('td', dateTimeFormat.format(new Date(session.lastUsedAt))),
        action,
      );
      return row;
    }),
  );
}

// ---- Other providers ----------------------------------------------------------------------------------------

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

/** Without providers the page simply shows no buttons: the password forms work as before. */
async function loadProviders(): Promise<void> {
  try {
    // The key first: the sign-in links carry its thumbprint, and the provider's sign-in comes back bound to it.
    [providers] = await Promise.all([client.providers(), client.dpopThumbprint()]);
  } catch {
    providers = [];
  }
  renderProviders();
}

async function loadIdentities(): Promise<void> {
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
  await loadIdentities();
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
function oauthErrorMessage(code: string): string {
  const provider = providers.length === 1 ? providers[0].name : 'the provider';
  return Object.hasOwn(OAUTH_ERRORS, code)
    ? OAUTH_ERRORS[code as OAuthErrorCode](provider)
    : 'The sign-in with another provider failed: please try again.';
}

/** Takes `?oauth_error=` out of the address at once (the rest stays), so that a reload does not show it again. */
function takeOAuthErrorFromAddress(): string | null {
  const params = new URLSearchParams(location.search);
  const code = params.get('oauth_error');
  if (code === null) return null;
  params.delete('oauth_error');
  const query = params.toString();
  history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  return code;
}

// ---- Passkeys -----------------------------------------------------------------------------------------------

/** An IPv4 or IPv6 literal: never an RP id, so the browser refuses every passkey call from such a page. */
const ON_AN_IP_ADDRESS = /^(\d{1,3}\.){3}\d{1,3}$|^\[.*\]$/.test(location.hostname);

/** Why this page cannot make or use passkeys, or null when it can. */
const PASSKEYS_UNAVAILABLE: string | null = !client.passkeysSupported
  ? 'This browser cannot make or use passkeys: try a current version of Chrome, Edge, Firefox or Safari.'
  : ON_AN_IP_ADDRESS
    ? `Passkeys work only on a page opened at a domain name, never at an IP address: open this page at ${location.protocol}//localhost${location.port ? `:${location.port}` : ''} (or the site's own name) to use them.`
    : null;

/** The signed-in user's passkeys, as last loaded. */
let passkeys: PasskeyDto[] = [];
/** The server has passkeys off (it answered 404): the page stops offering them. */
let passkeysOff = false;
/** The passkey whose name is being edited in the list, if any. */
let renaming: string | null = null;

/** Passkeys are on offer when the browser, the page's address and the server all allow them. */
const passkeysOnOffer = (): boolean => PASSKEYS_UNAVAILABLE === null && !passkeysOff;

function renderPasskeys(): void {
  ui.passkeySignIn.hidden = !passkeysOnOffer();
  ui.passkeysPanel.hidden = passkeysOff;
  ui.passkeysUnavailable.hidden = PASSKEYS_UNAVAILABLE === null;
  ui.passkeysUnavailable.textContent = PASSKEYS_UNAVAILABLE ?? '';
  ui.passkeyAddForm.hidden = !passkeysOnOffer();
  ui.passkeys.hidden = passkeys.length === 0;
  ui.passkeysEmpty.hidden = passkeys.length > 0 || ON_AN_IP_ADDRESS;
  ui.passkeysBody.replaceChildren(...passkeys.map(passkeyRow));
}

function passkeyRow(passkey: PasskeyDto): HTMLTableRowElement {
  const row = make('tr');
  const name = make('td');
  if (renaming === passkey.id) name.append(renameForm(passkey));
  else name.append(make('span', passkey.name));
  const rename = make('button', 'Rename');
  rename.type = 'button';
  rename.setAttribute('aria-label', `Rename the passkey ${passkey.name}`);
  rename.hidden = renaming === passkey.id;
  rename.addEventListener('click', () => {
    renaming = passkey.id;
    renderPasskeys();
    document.getElementById(`passkey-rename-${passkey.id}`)?.focus();
  });
  const remove = make('button', 'Remove', 'danger');
  remove.type = 'button';
  remove.setAttribute('aria-label', `Remove the passkey ${passkey.name}`);
  remove.addEventListener('click', () => void act(remove, () => removePasskey(passkey)));
  const buttons = make('div', undefined, 'row-actions');
  buttons.append(rename, remove);
  const actions = make('td');
  actions.append(buttons);
  row.append(
    name,
    make('td', dateTimeFormat.format(new Date(passkey.createdAt))),
    make('td', passkey.lastUsedAt ? dateTimeFormat.format(new Date(passkey.lastUsedAt)) : 'Never'),
    actions,
  );
  return row;
}

function renameForm(passkey: PasskeyDto): HTMLFormElement {
  const form = make('form', undefined, 'rename-form');
  form.setAttribute('aria-label', `Rename the passkey ${passkey.name}`);
  const inputId = `passkey-rename-${passkey.id}`;
  const label = make('label', 'New name');
  label.htmlFor = inputId;
  const input = make('input');
  Object.assign(input, { id: inputId, name: 'name', type: 'text', maxLength: 64, required: true });
  input.autocomplete = 'off';
  input.value = passkey.name;
  const save = make('button', 'Save');
  save.type = 'submit';
  const cancel = make('button', 'Cancel', 'secondary');
  cancel.type = 'button';
  cancel.addEventListener('click', () => {
    renaming = null;
    renderPasskeys();
  });
  const buttons = make('div', undefined, 'actions');
  buttons.append(save, cancel);
  form.append(label, input, buttons);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = input.value.trim();
    void act(save, async () => {
      const renamed = await client.renamePasskey(passkey.id, name);
      renaming = null;
      ui.passkeysOutcome.textContent = `Renamed to “${renamed.name}”.`;
      await loadPasskeys();
    });
  });
  return form;
}

/** From an IP address the browser can use none of them, and a server with passkeys off answers 404: none shown. */
async function loadPasskeys(): Promise<void> {
  if (ON_AN_IP_ADDRESS || passkeysOff) {
    renderPasskeys();
    return;
  }
  try {
    passkeys = await client.passkeys();
  } catch (error) {
    if (!offAtServer(error)) throw error;
  }
  renderPasskeys();
}

/** True, and passkeys hidden from then on, when `error` is the server's 404 for passkeys being off. */
function offAtServer(error: unknown): boolean {
  if (!(error instanceof ApiError) || error.status !== 404) return false;
  passkeysOff = true;
  passkeys = [];
  renderPasskeys();
  return true;
}

/** The sentence for what went wrong with a passkey, from the browser (a DOMException) or from the server. */
function passkeyProblem(error: unknown, during: 'add' | 'sign-in'): unknown {
  if (error instanceof ApiError) {
    if (offAtServer(error)) return new Explained('Passkeys are not available on this server.');
    if (error.needsSecondFactor) {
      return new Explained(
        'Adding a passkey needs a session that began with your second factor: log out, then log in again with a code from your authenticator app.',
      );
    }
    if (during === 'sign-in' && error.status === 401) {
      return new Explained(
        'The server did not accept this passkey (it is unknown, was removed, or its signature did not check out). You are still signed out.',
      );
    }
    if (during === 'add' && error.status === 400) {
      return new Explained('The server did not accept the new passkey: nothing was added. Please try again.');
    }
    return error;
  }
  const name = (error as { name?: unknown } | null)?.name;
  switch (name) {
    case 'NotAllowedError':
      return new Explained(
        during === 'add'
          ? 'No passkey was added: the request was cancelled, timed out, or this device could not check it is you (NotAllowedError).'
          : 'No passkey was used: the request was cancelled, timed out, or this device could not check it is you (NotAllowedError). You are still signed out.',
      );
    case 'InvalidStateError':
      return new Explained('This device already holds a passkey for your account (InvalidStateError).');
    case 'SecurityError':
      return new Explained(
        'The browser refused passkeys on this page: it must be opened at the site’s own domain name (SecurityError).',
      );
    case 'AbortError':
      return new Explained('The passkey request was cancelled (AbortError).');
    default:
      return error instanceof Error && typeof name === 'string' && name !== 'TypeError'
        ? new Explained(`The passkey request failed: ${error.message} (${name}).`)
        : error;
  }
}

async function removePasskey(passkey: PasskeyDto): Promise<void> {
  ui.passkeysOutcome.textContent = '';
  await client.deletePasskey(passkey.id);
  ui.passkeysOutcome.textContent = `The passkey “${passkey.name}” no longer signs you in.`;
  logActivity(`Removed the passkey “${passkey.name}”.`);
  await loadPasskeys();
}

ui.passkeyAddForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = fieldsOf(ui.passkeyAddForm).name.trim();
  void act(submitButton(ui.passkeyAddForm), async () => {
    ui.passkeysOutcome.textContent = '';
    let added: PasskeyDto;
    try {
      added = await client.createPasskey(name === '' ? undefined : name);
    } catch (error) {
      throw passkeyProblem(error, 'add');
    }
    ui.passkeyAddForm.reset();
    ui.passkeysOutcome.textContent = `Passkey “${added.name}” added: it signs you in from now on.`;
    logActivity(`Added the passkey “${added.name}”.`);
    await loadPasskeys();
  });
});

ui.passkeySignInButton.addEventListener('click', () => {
  void act(ui.passkeySignInButton, async () => {
    try {
      await client.signInWithPasskey();
    } catch (error) {
      throw passkeyProblem(error, 'sign-in');
    }
  });
});

// ---- Actions ------------------------------------------------------------------------------------------------

/** Runs an action with its button disabled, showing any error. */
async function act(button: HTMLButtonElement | null, action: () => Promise<void>): Promise<void> {
  clearError();
  if (button) button.disabled = true;
  const wasLoggedIn = client.isLoggedIn;
  try {
    await action();
  } catch (error) {
    // A 401 that ended the session (revoked elsewhere, say) is not this action's fault: say what happened.
    if (error instanceof ApiError && error.status === 401 && wasLoggedIn && !client.isLoggedIn) {
      showError(SESSION_ENDED);
    } else {
      showError(error);
    }
  } finally {
    if (button) button.disabled = false;
    render();
  }
}

async function loadNotes(): Promise<void> {
  const page = await client.listNotes(20, 0);
  renderNotes(page.items, page.total);
}

async function loadSessions(): Promise<void> {
  renderSessions(await client.sessions());
}

async function loadEverything(): Promise<void> {
  if (!client.isLoggedIn) return;
  renderUser(client.state.user!);
  await Promise.all([loadNotes(), loadSessions(), loadIdentities(), loadPasskeys()]);
}

async function revokeSession(session: SessionDto): Promise<void> {
  await client.revokeSession(session.id);
  if (client.isLoggedIn) await loadSessions();
}

function fieldsOf(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  new FormData(form).forEach((value, key) => {
    if (typeof value === 'string') values[key] = value;
  });
  return values;
}

function submitButton(form: HTMLFormElement): HTMLButtonElement | null {
  return form.querySelector('button[type="submit"]');
}

// ---- Second factor --------------------------------------------------------------------------------------------

/** The challenge of a sign-in waiting for its second factor: in memory only, never in storage or the address. */
let pendingMfa: { mfaToken: string } | null = null;
let useRecoveryCode = false;

function setRecoveryMode(on: boolean): void {
  useRecoveryCode = on;
  ui.mfaCodeField.hidden = on;
  ui.mfaRecoveryField.hidden = !on;
  ui.mfaCode.required = !on;
  ui.mfaRecoveryCode.required = on;
  ui.mfaSwitch.textContent = on ? 'Use a code from the app instead' : 'Use a recovery code instead';
  (on ? ui.mfaRecoveryCode : ui.mfaCode).focus();
}

function showMfaPrompt(mfaToken: string): void {
  pendingMfa = { mfaToken };
  ui.mfaForm.reset();
  render();
  setRecoveryMode(false);
}

function endMfaPrompt(): void {
  pendingMfa = null;
  ui.mfaForm.reset();
  render();
}

/** After a password login: either signed in already, or the code prompt. */
function afterLogin(result: LoginResult): void {
  if (result.mfaRequired) showMfaPrompt(result.mfaToken);
}

ui.mfaSwitch.addEventListener('click', () => setRecoveryMode(!useRecoveryCode));
ui.mfaCancel.addEventListener('click', () => {
  clearError();
  endMfaPrompt();
});

ui.mfaForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const challenge = pendingMfa;
  if (!challenge) return;
  const factor: SecondFactor = useRecoveryCode
    ? { recoveryCode: ui.mfaRecoveryCode.value.trim() }
    : { code: ui.mfaCode.value.trim() };
  void act(submitButton(ui.mfaForm), async () => {
    try {
      await client.verifyMfa(challenge.mfaToken, factor);
    } catch (error) {
      ui.mfaCode.value = '';
      ui.mfaRecoveryCode.value = '';
      throw error;
    }
    endMfaPrompt();
  });
});

/** A code from the app is six digits; anything else typed is taken for a recovery code. */
function factorFrom(text: string): SecondFactor {
  const value = text.trim();
  return /^\d{6}$/.test(value) ? { code: value } : { recoveryCode: value };
}

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Blank modules around the code, as the QR specification asks, so that a scanner finds its edges. */
const QR_QUIET_ZONE = 4;

/**
 * `text` as a QR code: an inline <svg> built with DOM calls (no markup string, no `data:` image for the CSP to
 * weigh), one square path per dark module, dark on white whatever the page's colour scheme.
 */
function qrCodeSvg(text: string, label: string): SVGSVGElement {
  const code = qrcode(0, 'M');
  code.addData(text);
  code.make();
  const count = code.getModuleCount();
  const size = count + 2 * QR_QUIET_ZONE;
  const squares: string[] = [];
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      if (code.isDark(row, col)) squares.push(`M${col + QR_QUIET_ZONE} ${row + QR_QUIET_ZONE}h1v1h-1z`);
    }
  }
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('width', String(size * 5));
  svg.setAttribute('height', String(size * 5));
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const background = document.createElementNS(SVG_NS, 'rect');
  background.setAttribute('width', String(size));
  background.setAttribute('height', String(size));
  background.setAttribute('fill', '#ffffff');
  const modules = document.createElementNS(SVG_NS, 'path');
  modules.setAttribute('d', squares.join(''));
  modules.setAttribute('fill', '#000000');
  svg.append(background, modules);
  return svg;
}

function showRecoveryCodes(codes: string[]): void {
  ui.recoveryCodes.replaceChildren(...codes.map((code) => make('li', code)));
  ui.recoveryCodesPanel.hidden = false;
}

/** Takes the secret and the recovery codes off the page: they are shown once, and never kept. */
function hideTwoFactorSecrets(): void {
  ui.totpSetup.hidden = true;
  ui.totpUrl.textContent = '';
  ui.totpSecret.textContent = '';
  ui.totpQr.querySelector('svg')?.remove();
  ui.totpConfirmForm.reset();
  ui.recoveryCodesPanel.hidden = true;
  ui.recoveryCodes.replaceChildren();
}

ui.totpSetupButton.addEventListener('click', () => {
  void act(ui.totpSetupButton, async () => {
    hideTwoFactorSecrets();
    ui.twoFactorOutcome.textContent = '';
    try {
      const { secret, otpauthUrl } = await client.setupTotp();
      ui.totpUrl.textContent = otpauthUrl;
      ui.totpSecret.textContent = secret;
      ui.totpQr.prepend(qrCodeSvg(otpauthUrl, 'QR code of the setup link, for the authenticator app'));
      ui.totpSetup.hidden = false;
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        ui.twoFactorOutcome.textContent = 'Two-factor sign-in is already on.';
        return;
      }
      throw error;
    }
  });
});

ui.totpConfirmForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const { code } = fieldsOf(ui.totpConfirmForm);
  void act(submitButton(ui.totpConfirmForm), async () => {
    const codes = await client.confirmTotp(code.trim());
    hideTwoFactorSecrets();
    showRecoveryCodes(codes);
    ui.twoFactorOutcome.textContent = 'Two-factor sign-in is on. Your other devices were signed out.';
    logActivity('Turned two-factor sign-in on.');
    await loadSessions();
  });
});

ui.recoveryCodesDone.addEventListener('click', () => hideTwoFactorSecrets());

ui.totpManageForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const submitter = event.submitter as HTMLButtonElement | null;
  const input = ui.totpManageForm.elements.namedItem('code') as HTMLInputElement;
  const factor = factorFrom(input.value);
  void act(submitter, async () => {
    ui.twoFactorOutcome.textContent = '';
    hideTwoFactorSecrets();
    if (submitter?.value === 'disable') {
      await client.disableTotp(factor);
      ui.twoFactorOutcome.textContent = 'Two-factor sign-in is off; the recovery codes no longer work.';
      logActivity('Turned two-factor sign-in off.');
    } else {
      showRecoveryCodes(await client.replaceRecoveryCodes(factor));
      ui.twoFactorOutcome.textContent = 'New recovery codes: the old ones no longer work.';
      logActivity('Replaced the recovery codes.');
    }
    ui.totpManageForm.reset();
  });
});

ui.loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const { email, password } = fieldsOf(ui.loginForm);
  void act(submitButton(ui.loginForm), async () => {
    afterLogin(await client.login(email, password));
    ui.loginForm.reset();
  });
});

ui.registerForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const { email, password, displayName } = fieldsOf(ui.registerForm);
  void act(submitButton(ui.registerForm), async () => {
    await client.register({ email, password, ...(displayName ? { displayName } : {}) });
    afterLogin(await client.login(email, password));
    ui.registerForm.reset();
  });
});

ui.whoamiButton.addEventListener('click', () => {
  void act(ui.whoamiButton, async () => renderUser(await client.me()));
});

ui.noteForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const { title, body } = fieldsOf(ui.noteForm);
  void act(submitButton(ui.noteForm), async () => {
    await client.createNote({ title, ...(body ? { body } : {}) });
    ui.noteForm.reset();
    await loadNotes();
  });
});

ui.sessionsButton.addEventListener('click', () => void act(ui.sessionsButton, loadSessions));
ui.logoutButton.addEventListener('click', () => void act(ui.logoutButton, () => client.logout()));
ui.logoutAllButton.addEventListener('click', () => void act(ui.logoutAllButton, () => client.logoutAll()));

ui.resendButton.addEventListener('click', () => {
  void act(ui.resendButton, async () => {
    ui.resendOutcome.textContent = '';
    await client.resendVerification();
    ui.resendOutcome.textContent = 'A new link is on its way. Links sent before it no longer work.';
  });
});

/** What the server answers to a forgotten password never says whether the account exists; neither does the page. */
const FORGOT_SENT = 'If an account exists for that address, a link is on its way.';

ui.forgotForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const { email } = fieldsOf(ui.forgotForm);
  void act(submitButton(ui.forgotForm), async () => {
    ui.forgotOutcome.textContent = '';
    try {
      await client.forgotPassword(email);
    } catch (error) {
      // Only a malformed address or the rate limit is worth the user's attention; nothing else may hint either way.
      if (!(error instanceof ApiError) || error.status === 400 || error.status === 429) throw error;
    }
    ui.forgotOutcome.textContent = FORGOT_SENT;
    ui.forgotForm.reset();
  });
});

// ---- Links from emails ----------------------------------------------------------------------------------------

type EmailLink = { kind: 'verify-email' | 'reset-password' | 'confirm-email'; token: string };

const LINK_FRAGMENT = /^#(verify-email|reset-password|confirm-email)=(.*)$/;

/** The token of the link being handled: kept in memory only, once it has left the address bar. */
let pendingLink: EmailLink | null = null;

/**
 * Takes a `#verify-email=`, `#reset-password=` or `#confirm-email=` token out of the address and clears the fragment at once, so the
 * token is not left in the history. Nothing is sent yet: a link that is merely opened (by a mail scanner, say)
 * must not use the token up.
 */
function takeLinkFromAddress(): EmailLink | null {
  const match = LINK_FRAGMENT.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return { kind: match[1] as EmailLink['kind'], token: match[2] };
}

function showLinkPanel(link: EmailLink): void {
  pendingLink = link;
  clearError();
  ui.verifyPanel.hidden = link.kind !== 'verify-email';
  ui.verifyButton.hidden = false;
  ui.verifyOutcome.textContent = '';
  ui.confirmPanel.hidden = link.kind !== 'confirm-email';
  ui.confirmButton.hidden = false;
  ui.confirmOutcome.textContent = '';
  ui.resetPanel.hidden = link.kind !== 'reset-password';
  ui.resetForm.hidden = false;
  ui.resetForm.reset();
  ui.resetOutcome.textContent = '';
}

const MFA_FRAGMENT = /^#mfa=(.+)$/;

/**
 * A provider sign-in of an account with the second factor on comes back as `#mfa=<mfaToken>`: taken out of the
 * address at once (and so out of the history), kept in memory, and answered with the code prompt.
 */
function takeMfaFromAddress(): string | null {
  const match = MFA_FRAGMENT.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return match[1];
}

function handleLinkInAddress(): void {
  const mfaToken = takeMfaFromAddress();
  if (mfaToken !== null) {
    showMfaPrompt(mfaToken);
    return;
  }
  const link = takeLinkFromAddress();
  if (link) showLinkPanel(link);
}

ui.verifyButton.addEventListener('click', () => {
  const link = pendingLink;
  if (link?.kind !== 'verify-email') return;
  void act(ui.verifyButton, async () => {
    await client.verifyEmail(link.token);
    pendingLink = null;
    ui.verifyButton.hidden = true;
    ui.verifyOutcome.textContent = 'Your address is verified.';
    if (client.isLoggedIn) renderUser(await client.me());
  });
});

ui.confirmButton.addEventListener('click', () => {
  const link = pendingLink;
  if (link?.kind !== 'confirm-email') return;
  void act(ui.confirmButton, async () => {
    await client.confirmEmail(link.token);
    pendingLink = null;
    ui.confirmButton.hidden = true;
    ui.confirmOutcome.textContent = 'Your account now uses this address. Your other devices were signed out.';
    if (client.isLoggedIn) renderUser(await client.me());
  });
});

ui.resetForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const link = pendingLink;
  if (link?.kind !== 'reset-password') return;
  const { newPassword } = fieldsOf(ui.resetForm);
  // A refusal (a password the policy rejects, a used link) leaves the form as it is, to try again.
  void act(submitButton(ui.resetForm), async () => {
    await client.resetPassword(link.token, newPassword);
    pendingLink = null;
    ui.resetForm.reset();
    ui.resetForm.hidden = true;
    ui.resetOutcome.textContent = 'Your password was changed: log in with it.';
    // The reset ended every session, this browser's too: say so in every tab rather than wait for a 401.
    // logout() clears this page's state even when the server is not reached; the session is over there already.
    if (client.isLoggedIn) await client.logout().catch(() => undefined);
  });
});

// A link opened in a tab that already shows the page changes only the fragment: the page does not load again.
window.addEventListener('hashchange', handleLinkInAddress);
const oauthError = takeOAuthErrorFromAddress();
handleLinkInAddress();

client.subscribe((event) => {
  logActivity(describe(event));
  if (event.type === 'login') {
    // Signed in (here or in another tab): a challenge still on screen is moot.
    pendingMfa = null;
    void act(null, loadEverything);
  }
  if (event.type === 'logout' && event.reason === 'session-ended') showError(SESSION_ENDED);
  render();
});

setInterval(tick, 250);

void act(null, async () => {
  renderPasskeys();
  const [restored] = await Promise.all([client.restore(), loadProviders()]);
  // After the providers: the message names the provider when it can.
  if (oauthError !== null) showError(oauthErrorMessage(oauthError));
  if (restored) await loadEverything();
});
