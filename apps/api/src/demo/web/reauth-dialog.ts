/**
 * The dialog that asks the user to prove who they are again, for a route that wants a recent sign-in (the client's
 * `onReauthenticationRequired`): the password, a code from the authenticator app or a recovery code, or a passkey.
 * What it answers goes to `POST /api/auth/reauthenticate`, and the action the user started goes on by itself.
 */
import { ApiError, ReauthenticationRequest, ReauthProof } from '@gatehouse/client';

function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

/** Looked up when asked, not at load: the module has no effect until the client needs it. */
function elements() {
  return {
    dialog: byId<HTMLDialogElement>('reauth-dialog'),
    form: byId<HTMLFormElement>('reauth-form'),
    reason: byId('reauth-reason'),
    problem: byId('reauth-problem'),
    passwordField: byId('reauth-password-field'),
    password: byId<HTMLInputElement>('reauth-password'),
    code: byId<HTMLInputElement>('reauth-code'),
    passkey: byId<HTMLButtonElement>('reauth-passkey'),
    cancel: byId<HTMLButtonElement>('reauth-cancel'),
  };
}

function duration(seconds: number): string {
  if (seconds % 60 !== 0 || seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = seconds / 60;
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** Why the previous proof did not do: the server's refusal, or the browser's answer to the passkey request. */
function problemWith(error: Error): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'That was not right. Please try again.';
    return `The server refused it (${error.message}).`;
  }
  if (error.name === 'NotAllowedError') {
    return 'No passkey was used: the request was cancelled, timed out, or this device could not check it is you.';
  }
  return `That did not work (${error.message}).`;
}

/** A code from the app is six digits; anything else typed is taken for a recovery code. */
function codeProof(text: string): ReauthProof {
  return /^\d{6}$/.test(text) ? { code: text } : { recoveryCode: text };
}

/**
 * Shows the dialog and answers what the user chose: a proof, or `null` when they cancel (the button or Escape).
 * `passkeys`: whether this page can offer a passkey.
 */
export function askForProof(
  request: ReauthenticationRequest,
  passkeys: boolean,
): Promise<ReauthProof | null> {
  const ui = elements();
  ui.form.reset();
  ui.reason.textContent = request.secondFactor
    ? 'This needs a session that passed your second factor: enter a code from your authenticator app or a recovery code.'
    : `For your safety, this needs a sign-in from the last ${duration(request.maxAge ?? 0)}. Enter your password, or a code from your authenticator app${passkeys ? ', or use a passkey' : ''}.`;
  ui.problem.textContent = request.previousError ? problemWith(request.previousError) : '';
  ui.problem.hidden = request.previousError === undefined;
  ui.passwordField.hidden = request.secondFactor;
  ui.passkey.hidden = !passkeys;

  return new Promise((resolve) => {
    const listening = new AbortController();
    const { signal } = listening;
    const finish = (proof: ReauthProof | null) => {
      listening.abort();
      if (ui.dialog.open) ui.dialog.close();
      ui.form.reset();
      resolve(proof);
    };
    ui.form.addEventListener(
      'submit',
      (event) => {
        event.preventDefault();
        const password = ui.passwordField.hidden ? '' : ui.password.value;
        const code = ui.code.value.trim();
        if (password !== '') finish({ password });
        else if (code !== '') finish(codeProof(code));
        else {
          ui.problem.textContent = request.secondFactor
            ? 'Enter a code from your authenticator app or a recovery code.'
            : 'Enter your password or a code from your authenticator app.';
          ui.problem.hidden = false;
        }
      },
      { signal },
    );
    ui.passkey.addEventListener('click', () => finish({ passkey: true }), { signal });
    ui.cancel.addEventListener('click', () => finish(null), { signal });
    // Escape closes a modal dialog: that is a cancel too.
    ui.dialog.addEventListener('cancel', () => finish(null), { signal });
    ui.dialog.showModal();
    (request.secondFactor ? ui.code : ui.password).focus();
  });
}
