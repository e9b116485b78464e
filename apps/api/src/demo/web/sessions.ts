/** The My sessions and Log out panels: every live session of the account, and ending this one or all of them. */
import { SessionDto } from '@gatehouse/client';
import { loadAccountActivity } from './account-activity';
import { act } from './actions';
import { client } from './client';
import { element, make } from './dom';
import { dateTimeFormat } from './time-format';
import { deviceName } from './user-agent';

const ui = {
  sessionsButton: element<HTMLButtonElement>('sessions-button'),
  sessionsBody: element<HTMLTableElement>('sessions').tBodies[0],
  logoutButton: element<HTMLButtonElement>('logout-button'),
  logoutAllButton: element<HTMLButtonElement>('logout-all-button'),
};

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

export async function loadSessions(): Promise<void> {
  renderSessions(await client.sessions());
}

async function revokeSession(session: SessionDto): Promise<void> {
  await client.revokeSession(session.id);
  if (client.isLoggedIn) await Promise.all([loadSessions(), loadAccountActivity()]);
}

export function clearSessions(): void {
  ui.sessionsBody.replaceChildren();
}

export function wireSessions(): void {
  ui.sessionsButton.addEventListener('click', () => void act(ui.sessionsButton, loadSessions));
  ui.logoutButton.addEventListener('click', () => void act(ui.logoutButton, () => client.logout()));
  ui.logoutAllButton.addEventListener('click', () => void act(ui.logoutAllButton, () => client.logoutAll()));
}
