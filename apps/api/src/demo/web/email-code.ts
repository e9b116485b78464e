/**
 * Signing in with a code by email: the address first ("Send me a code"), then the code from the mail. What follows
 * is the password login's: signed in, or the second-factor prompt.
 */
import type { LoginResult } from '@gatehouse/client';
import { act } from './actions';
import { client } from './client';
import { element, fieldsOf, submitButton } from './dom';
import { afterFirstStep } from './sign-in';

const ui = {
  requestForm: element<HTMLFormElement>('email-code-request-form'),
  email: element<HTMLInputElement>('email-code-email'),
  verifyForm: element<HTMLFormElement>('email-code-verify-form'),
  sent: element('email-code-sent'),
  code: element<HTMLInputElement>('email-code-code'),
  again: element<HTMLButtonElement>('email-code-again'),
  other: element<HTMLButtonElement>('email-code-other'),
};

/** The address the code went to: in memory only, for the code that comes back. */
let pendingEmail: string | null = null;

/** The server answers alike whether or not the address is an account's; so does the page. */
const sentTo = (email: string, again: boolean): string =>
  `${again ? 'A new code' : 'A code'} is on its way to ${email}, if that address can sign in here.` +
  (again ? ' The one before no longer works.' : '');

function showCodeStep(email: string, again: boolean): void {
  pendingEmail = email;
  ui.requestForm.hidden = true;
  ui.verifyForm.hidden = false;
  ui.verifyForm.reset();
  ui.sent.textContent = sentTo(email, again);
  ui.code.focus();
}

/** Back to the first step, the address kept in its field to change or send again. */
function showAddressStep(): void {
  pendingEmail = null;
  ui.verifyForm.reset();
  ui.verifyForm.hidden = true;
  ui.sent.textContent = '';
  ui.requestForm.hidden = false;
}

/** Signed in some way (here or in another tab): a code on its way is moot, and the form starts over. */
export function forgetEmailCode(): void {
  showAddressStep();
  ui.requestForm.reset();
}

export function wireEmailCode(): void {
  ui.requestForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const { email } = fieldsOf(ui.requestForm);
    void act(submitButton(ui.requestForm), async () => {
      await client.requestEmailCode(email);
      showCodeStep(email, false);
    });
  });

  ui.verifyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const email = pendingEmail;
    if (email === null) return;
    const code = ui.code.value.trim();
    void act(submitButton(ui.verifyForm), async () => {
      let result: LoginResult;
      try {
        result = await client.verifyEmailCode(email, code);
      } catch (error) {
        // A wrong code may be typed again (the fifth try ends it): the field is emptied for the next one.
        ui.code.value = '';
        ui.code.focus();
        throw error;
      }
      forgetEmailCode();
      afterFirstStep(result, 'email-code');
    });
  });

  ui.again.addEventListener('click', () => {
    const email = pendingEmail;
    if (email === null) return;
    void act(ui.again, async () => {
      await client.requestEmailCode(email);
      showCodeStep(email, true);
    });
  });

  ui.other.addEventListener('click', () => {
    showAddressStep();
    ui.email.focus();
  });
}
