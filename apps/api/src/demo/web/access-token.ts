/** The Access token panel: when this page's token expires, and whether it is bound to this browser. */
import { client } from './client';
import { element } from './dom';
import { renderSessionBinding } from './session-binding';
import { clock } from './time-format';

const ui = {
  countdown: element('countdown'),
  expiresAt: element('expires-at'),
  sessionBinding: element('session-binding'),
};

export function renderBinding(): void {
  renderSessionBinding(client, ui.sessionBinding);
}

export function tick(): void {
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
