/**
 * The demo page: every call goes through the typed client in libs/client. Built by scripts/build-client.mjs into
 * dist/public/app.js. Text from the server is only ever set with textContent: a note titled `<script>` stays text.
 */
import {
  ApiError,
  ClientEvent,
  GatehouseClient,
  NoteDto,
  RefreshReason,
  SessionDto,
  UserDto,
} from '../../../../../libs/client/src';

const client = new GatehouseClient({ autoRefresh: true });

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
  countdown: element('countdown'),
  expiresAt: element('expires-at'),
  whoamiButton: element<HTMLButtonElement>('whoami-button'),
  whoami: element('whoami'),
  noteForm: element<HTMLFormElement>('note-form'),
  notesCount: element('notes-count'),
  notes: element('notes'),
  sessionsButton: element<HTMLButtonElement>('sessions-button'),
  sessionsBody: element<HTMLTableElement>('sessions').tBodies[0],
  logoutButton: element<HTMLButtonElement>('logout-button'),
  logoutAllButton: element<HTMLButtonElement>('logout-all-button'),
  activity: element('activity'),
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

function showError(error: unknown): void {
  const message =
    error instanceof ApiError
      ? (error.body ? [error.body.message].flat().join('; ') : error.message) || error.message
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
  ui.signedOut.hidden = user !== null;
  ui.status.textContent = user
    ? `Logged in as ${user.email}${user.displayName ? ` (${user.displayName})` : ''}`
    : 'Not logged in';
  if (user === null) {
    ui.whoami.replaceChildren();
    ui.notes.replaceChildren();
    ui.notesCount.textContent = '';
    ui.sessionsBody.replaceChildren();
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
    ['Display name', user.displayName ?? '—'],
    ['Roles', user.roles.join(', ')],
    ['User id', user.id],
    ['Member since', dateTimeFormat.format(new Date(user.createdAt))],
  ];
  ui.whoami.replaceChildren(...facts.flatMap(([term, value]) => [make('dt', term), make('dd', value)]));
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
  await Promise.all([loadNotes(), loadSessions()]);
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

ui.loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const { email, password } = fieldsOf(ui.loginForm);
  void act(submitButton(ui.loginForm), async () => {
    await client.login(email, password);
    ui.loginForm.reset();
  });
});

ui.registerForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const { email, password, displayName } = fieldsOf(ui.registerForm);
  void act(submitButton(ui.registerForm), async () => {
    await client.register({ email, password, ...(displayName ? { displayName } : {}) });
    await client.login(email, password);
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

client.subscribe((event) => {
  logActivity(describe(event));
  if (event.type === 'login') void act(null, loadEverything);
  if (event.type === 'logout' && event.reason === 'session-ended') showError(SESSION_ENDED);
  render();
});

setInterval(tick, 250);

void act(null, async () => {
  if (await client.restore()) await loadEverything();
});
