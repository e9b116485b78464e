/** The Activity panel: a line for each login, refresh and logout this tab sees, newest first. */
import { ClientEvent, RefreshReason } from '@gatehouse/client';
import { element, make } from './dom';
import { clock } from './time-format';

const activity = element('activity');

export function logActivity(text: string): void {
  const item = make('li');
  const time = make('time', clock(Date.now()));
  time.dateTime = new Date().toISOString();
  item.append(time, text);
  activity.prepend(item);
  while (activity.children.length > 50) activity.lastElementChild?.remove();
}

const REFRESH_REASONS: Record<RefreshReason, string> = {
  restore: 'to restore the session after the page loaded',
  scheduled: 'shortly before expiry',
  expiring: 'shortly before expiry, on a request',
  unauthorized: 'after a 401',
  reauthenticated: 'after you confirmed who you are',
  organization: 'to act in another organization',
};

const LOGOUT_REASONS: Record<Extract<ClientEvent, { type: 'logout' }>['reason'], string> = {
  logout: 'Logged out',
  'logout-all': 'Logged out everywhere',
  'session-revoked': 'This session was revoked',
  'session-ended': 'The session has ended (logged out elsewhere, revoked or expired)',
};

export const SESSION_ENDED = `${LOGOUT_REASONS['session-ended']}. Please log in again.`;

export function describe(event: ClientEvent): string {
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
