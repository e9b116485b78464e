/**
 * Passkeys: signing in with one, and the Passkeys panel that lists, adds, renames and removes them. Offered only
 * where the browser, the page's address and the server all allow them.
 */
import { ApiError, PasskeyDto } from '@gatehouse/client';
import { loadAccountActivity } from './account-activity';
import { act, Explained } from './actions';
import { logActivity } from './activity-log';
import { client } from './client';
import { element, fieldsOf, make, submitButton } from './dom';
import { dateTimeFormat } from './time-format';

const ui = {
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
export const passkeysOnOffer = (): boolean => PASSKEYS_UNAVAILABLE === null && !passkeysOff;

export function renderPasskeys(): void {
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
export async function loadPasskeys(): Promise<void> {
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

export function clearPasskeys(): void {
  passkeys = [];
  renaming = null;
  renderPasskeys();
  ui.passkeysOutcome.textContent = '';
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
  await Promise.all([loadPasskeys(), loadAccountActivity()]);
}

export function wirePasskeys(): void {
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
      await Promise.all([loadPasskeys(), loadAccountActivity()]);
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
}
