/**
 * The Account activity panel: the signed-in user's own history as the server recorded it (sign-ins, changes,
 * refused attempts), newest first, a page at a time. The user agent is whatever a client sent, an attacker's
 * included: it is set as text, never as markup.
 */
import { ActivityEvent } from '@gatehouse/client';
import { act } from './actions';
import { client } from './client';
import { element, make } from './dom';
import { dateTimeFormat } from './time-format';
import { deviceName } from './user-agent';

/** Events per page: about a screenful. */
const PAGE_SIZE = 10;

const ui = {
  reloadButton: element<HTMLButtonElement>('account-events-reload'),
  table: element<HTMLTableElement>('account-events'),
  body: element<HTMLTableElement>('account-events').tBodies[0],
  summary: element('account-events-summary'),
  moreButton: element<HTMLButtonElement>('account-events-more'),
};

/** What each kind of event means to the account's owner; a kind the page does not know is shown as it is. */
const LABELS: Record<string, string> = {
  'account.created': 'Account created',
  'account.disabled': 'Account disabled',
  'account.enabled': 'Account enabled',
  'login.succeeded': 'Signed in',
  'login.new_device': 'Signed in from a new device or browser',
  'login.failed': 'Sign-in refused',
  'login.mfa_required': 'Password accepted, code asked for',
  'mfa.verified': 'Code accepted',
  'mfa.failed': 'Code refused',
  'mfa.enabled': 'Two-factor sign-in turned on',
  'mfa.disabled': 'Two-factor sign-in turned off',
  'mfa.recovery_code_used': 'Recovery code used',
  'mfa.recovery_codes_replaced': 'Recovery codes replaced',
  'passkey.registered': 'Passkey added',
  'passkey.removed': 'Passkey removed',
  'passkey.signed_in': 'Signed in with a passkey',
  'passkey.failed': 'Passkey refused',
  'oauth.signed_in': 'Signed in with another provider',
  'oauth.user_created': 'Account created with another provider',
  'oauth.linked': 'Account at another provider linked',
  'oauth.unlinked': 'Account at another provider unlinked',
  'oauth.failed': 'Sign-in with another provider refused',
  'session.revoked': 'Session ended',
  'session.reauthenticated': 'Identity confirmed again',
  'session.reauthentication_failed': 'Identity confirmation refused',
  'refresh.reuse_detected': 'Old session token reused: session ended',
  'refresh.rejected': 'Session renewal refused',
  'refresh.race_absorbed': 'Session renewed by two tabs at once',
  'dpop.bound': 'Session bound to a browser key',
  'dpop.refused': 'Browser key proof refused',
  'password.changed': 'Password changed',
  'password.change_failed': 'Password change refused',
  'password.reset_requested': 'Password reset asked for',
  'password.reset': 'Password reset',
  'email.verified': 'Email address verified',
  'email.change_requested': 'Email change asked for',
  'email.changed': 'Email address changed',
  'api_key.created': 'API key created',
  'api_key.deleted': 'API key deleted',
  'api_key.refused': 'API key refused',
};

const labelOf = (type: string): string => (Object.hasOwn(LABELS, type) ? LABELS[type] : type);

/** The events shown, newest first, and whether the server may hold older ones. */
let events: ActivityEvent[] = [];
let more = false;
/** Counts the reloads: a page asked for before the latest one is dropped, not appended to the new list. */
let generation = 0;

function eventRow(event: ActivityEvent): HTMLTableRowElement {
  const time = make('time', dateTimeFormat.format(new Date(event.at)));
  time.dateTime = event.at;
  const when = make('td');
  when.append(time);
  // Some events carry no client (a change made by an administrator, say): a dash, not a guess.
  const browser = make('td', event.userAgent ? deviceName(event.userAgent) : '—');
  if (event.userAgent) browser.title = event.userAgent;
  const row = make('tr');
  row.append(make('td', labelOf(event.type)), when, make('td', event.ip ?? '—'), browser);
  return row;
}

function render(): void {
  ui.table.hidden = events.length === 0;
  ui.body.replaceChildren(...events.map(eventRow));
  ui.moreButton.hidden = !more;
  ui.summary.textContent =
    events.length === 0
      ? 'Nothing recorded yet.'
      : more
        ? `The latest ${events.length} events.`
        : `All ${events.length} events.`;
}

/** A full page says there may be more; a shorter one is the last. */
function show(page: ActivityEvent[], before: ActivityEvent[]): void {
  events = [...before, ...page];
  more = page.length === PAGE_SIZE;
  render();
}

/** The newest page: after a sign-in, and after each of the page's own changes to the account. */
export async function loadAccountActivity(): Promise<void> {
  const asked = ++generation;
  const { items } = await client.activity({ limit: PAGE_SIZE });
  if (asked === generation) show(items, []);
}

async function loadOlder(): Promise<void> {
  const last = events.at(-1);
  if (!last) return;
  const asked = generation;
  const { items } = await client.activity({ limit: PAGE_SIZE, before: last.id });
  if (asked !== generation) return;
  show(items, events);
  // The button goes with the last page: the summary, which says so, takes the focus rather than the page's body.
  if (!more) ui.summary.focus();
}

export function clearAccountActivity(): void {
  generation += 1;
  events = [];
  more = false;
  ui.table.hidden = true;
  ui.body.replaceChildren();
  ui.moreButton.hidden = true;
  ui.summary.textContent = '';
}

export function wireAccountActivity(): void {
  ui.reloadButton.addEventListener('click', () => void act(ui.reloadButton, loadAccountActivity));
  ui.moreButton.addEventListener('click', () => void act(ui.moreButton, loadOlder));
}
