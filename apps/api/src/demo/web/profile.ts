/** The Who am I panel: the account's details, and a new verification link while the address is unverified. */
import { UserDto } from '@gatehouse/client';
import { act } from './actions';
import { client } from './client';
import { element, make } from './dom';
import { dateTimeFormat } from './time-format';

const ui = {
  whoamiButton: element<HTMLButtonElement>('whoami-button'),
  whoami: element('whoami'),
  unverified: element('unverified'),
  resendButton: element<HTMLButtonElement>('resend-button'),
  resendOutcome: element('resend-outcome'),
};

export function renderUser(user: UserDto): void {
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

export function clearProfile(): void {
  ui.whoami.replaceChildren();
  ui.unverified.hidden = true;
  ui.resendOutcome.textContent = '';
}

export function wireProfile(): void {
  ui.whoamiButton.addEventListener('click', () => {
    void act(ui.whoamiButton, async () => renderUser(await client.me()));
  });

  ui.resendButton.addEventListener('click', () => {
    void act(ui.resendButton, async () => {
      ui.resendOutcome.textContent = '';
      await client.resendVerification();
      ui.resendOutcome.textContent = 'A new link is on its way. Links sent before it no longer work.';
    });
  });
}
