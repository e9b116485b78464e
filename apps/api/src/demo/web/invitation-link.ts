/**
 * A `#invitation=<token>` link from an invitation's mail: the token leaves the address bar at once and waits in
 * memory. Signed in, the panel offers Accept and Decline; signed out, it asks the user to sign in with the invited
 * address first and keeps the token until then. Nothing is sent until a button is pressed: a link that is merely
 * opened (by a mail scanner, say) must not use the invitation up.
 */
import { ApiError } from '@gatehouse/client';
import { act, clearError } from './actions';
import { client } from './client';
import { element } from './dom';
import { loadOrganizations } from './organizations';

const ui = {
  panel: element('invitation-panel'),
  signInHint: element('invitation-sign-in-hint'),
  actions: element('invitation-actions'),
  acceptButton: element<HTMLButtonElement>('invitation-accept-button'),
  declineButton: element<HTMLButtonElement>('invitation-decline-button'),
  outcome: element('invitation-outcome'),
};

const INVITATION_FRAGMENT = /^#invitation=(.+)$/;

/** The token of the invitation being answered: in memory only, never in storage or the address. */
let pendingToken: string | null = null;

export function takeInvitationFromAddress(): string | null {
  const match = INVITATION_FRAGMENT.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return match[1];
}

export function showInvitation(token: string): void {
  pendingToken = token;
  clearError();
  ui.outcome.textContent = '';
  renderInvitation();
}

/** Redrawn with the page: a sign-in turns the hint into the two buttons. */
export function renderInvitation(): void {
  // What was answered is the last account's business: signed out, only a waiting invitation stays on screen.
  if (!client.isLoggedIn) ui.outcome.textContent = '';
  const waiting = pendingToken !== null;
  ui.panel.hidden = !waiting && ui.outcome.textContent === '';
  ui.signInHint.hidden = !waiting || client.isLoggedIn;
  ui.actions.hidden = !waiting || !client.isLoggedIn;
}

/** Sends the answer; a dead link (404) is forgotten, any other refusal keeps it to try again (after verifying). */
async function answer<T>(token: string, send: (token: string) => Promise<T>): Promise<T> {
  ui.outcome.textContent = '';
  try {
    const answered = await send(token);
    pendingToken = null;
    return answered;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) pendingToken = null;
    throw error;
  }
}

export function wireInvitationLink(): void {
  ui.acceptButton.addEventListener('click', () => {
    const token = pendingToken;
    if (token === null) return;
    void act(ui.acceptButton, async () => {
      const joined = await answer(token, (it) => client.acceptInvitation(it));
      ui.outcome.textContent = `You are a member of “${joined.name}” as ${joined.role}: switch to it under Organizations.`;
      await loadOrganizations();
    });
  });
  ui.declineButton.addEventListener('click', () => {
    const token = pendingToken;
    if (token === null) return;
    void act(ui.declineButton, async () => {
      await answer(token, (it) => client.declineInvitation(it));
      ui.outcome.textContent = 'Invitation declined: its link no longer works.';
    });
  });
}
