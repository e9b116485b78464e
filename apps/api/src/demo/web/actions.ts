/**
 * How every button and form of the page runs what it does: button disabled meanwhile, any failure told in the
 * page's one error box, the page redrawn afterwards.
 */
import { ApiError } from '@gatehouse/client';
import { SESSION_ENDED } from './activity-log';
import { client } from './client';
import { element } from './dom';

const errorBox = element('error');

/** An error whose message is already the sentence to show. */
export class Explained extends Error {}

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

export function showError(error: unknown): void {
  const message =
    error instanceof ApiError
      ? (explainApiError(error) ??
        ((error.body ? [error.body.message].flat().join('; ') : error.message) || error.message))
      : error instanceof Explained
        ? error.message
        : error instanceof Error
          ? `The server could not be reached (${error.message}).`
          : String(error);
  errorBox.textContent = message;
  errorBox.hidden = false;
}

export function clearError(): void {
  errorBox.textContent = '';
  errorBox.hidden = true;
}

/** A redraw spans every panel, so main.ts, which knows them all, supplies it. */
let redraw = (): void => undefined;

export function redrawWith(render: () => void): void {
  redraw = render;
}

export function redrawPage(): void {
  redraw();
}

/** Runs an action with its button disabled, showing any error. */
export async function act(button: HTMLButtonElement | null, action: () => Promise<void>): Promise<void> {
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
    redrawPage();
  }
}
