/**
 * What the page does by email: asking for a link to reset a forgotten password, and the panels for the links
 * that arrive (verify the address, confirm a new one, choose a new password).
 */
import { ApiError } from '@gatehouse/client';
import { loadAccountActivity } from './account-activity';
import { act, clearError } from './actions';
import { client } from './client';
import { element, fieldsOf, submitButton } from './dom';
import { renderUser } from './profile';

const ui = {
  forgotForm: element<HTMLFormElement>('forgot-form'),
  forgotOutcome: element('forgot-outcome'),
  verifyPanel: element('verify-panel'),
  verifyButton: element<HTMLButtonElement>('verify-button'),
  verifyOutcome: element('verify-outcome'),
  confirmPanel: element('confirm-panel'),
  confirmButton: element<HTMLButtonElement>('confirm-button'),
  confirmOutcome: element('confirm-outcome'),
  resetPanel: element('reset-panel'),
  resetForm: element<HTMLFormElement>('reset-form'),
  resetOutcome: element('reset-outcome'),
};

/** What the server answers to a forgotten password never says whether the account exists; neither does the page. */
const FORGOT_SENT = 'If an account exists for that address, a link is on its way.';

type EmailLink = { kind: 'verify-email' | 'reset-password' | 'confirm-email'; token: string };

const LINK_FRAGMENT = /^#(verify-email|reset-password|confirm-email)=(.*)$/;

/** The token of the link being handled: kept in memory only, once it has left the address bar. */
let pendingLink: EmailLink | null = null;

/**
 * Takes a `#verify-email=`, `#reset-password=` or `#confirm-email=` token out of the address and clears the fragment at once, so the
 * token is not left in the history. Nothing is sent yet: a link that is merely opened (by a mail scanner, say)
 * must not use the token up.
 */
export function takeLinkFromAddress(): EmailLink | null {
  const match = LINK_FRAGMENT.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return { kind: match[1] as EmailLink['kind'], token: match[2] };
}

export function showLinkPanel(link: EmailLink): void {
  pendingLink = link;
  clearError();
  ui.verifyPanel.hidden = link.kind !== 'verify-email';
  ui.verifyButton.hidden = false;
  ui.verifyOutcome.textContent = '';
  ui.confirmPanel.hidden = link.kind !== 'confirm-email';
  ui.confirmButton.hidden = false;
  ui.confirmOutcome.textContent = '';
  ui.resetPanel.hidden = link.kind !== 'reset-password';
  ui.resetForm.hidden = false;
  ui.resetForm.reset();
  ui.resetOutcome.textContent = '';
}

/** A link used while signed in changed the account: its details, and the activity that records it. */
async function showChangedAccount(): Promise<void> {
  const [user] = await Promise.all([client.me(), loadAccountActivity()]);
  renderUser(user);
}

/** Shows the changed account when signed in, then says what changed: the page never contradicts itself. */
async function afterChange(say: () => void): Promise<void> {
  try {
    if (client.isLoggedIn) await showChangedAccount();
  } finally {
    say();
  }
}

export function wireEmailLinks(): void {
  ui.forgotForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const { email } = fieldsOf(ui.forgotForm);
    void act(submitButton(ui.forgotForm), async () => {
      ui.forgotOutcome.textContent = '';
      try {
        await client.forgotPassword(email);
      } catch (error) {
        // Only a malformed address or the rate limit is worth the user's attention; nothing else may hint either way.
        if (!(error instanceof ApiError) || error.status === 400 || error.status === 429) throw error;
      }
      ui.forgotOutcome.textContent = FORGOT_SENT;
      ui.forgotForm.reset();
    });
  });

  ui.verifyButton.addEventListener('click', () => {
    const link = pendingLink;
    if (link?.kind !== 'verify-email') return;
    void act(ui.verifyButton, async () => {
      await client.verifyEmail(link.token);
      pendingLink = null;
      ui.verifyButton.hidden = true;
      await afterChange(() => (ui.verifyOutcome.textContent = 'Your address is verified.'));
    });
  });

  ui.confirmButton.addEventListener('click', () => {
    const link = pendingLink;
    if (link?.kind !== 'confirm-email') return;
    void act(ui.confirmButton, async () => {
      await client.confirmEmail(link.token);
      pendingLink = null;
      ui.confirmButton.hidden = true;
      await afterChange(
        () =>
          (ui.confirmOutcome.textContent =
            'Your account now uses this address. Your other devices were signed out.'),
      );
    });
  });

  ui.resetForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const link = pendingLink;
    if (link?.kind !== 'reset-password') return;
    const { newPassword } = fieldsOf(ui.resetForm);
    // A refusal (a password the policy rejects, a used link) leaves the form as it is, to try again.
    void act(submitButton(ui.resetForm), async () => {
      await client.resetPassword(link.token, newPassword);
      pendingLink = null;
      ui.resetForm.reset();
      ui.resetForm.hidden = true;
      ui.resetOutcome.textContent = 'Your password was changed: log in with it.';
      // The reset ended every session, this browser's too: say so in every tab rather than wait for a 401.
      // logout() clears this page's state even when the server is not reached; the session is over there already.
      if (client.isLoggedIn) await client.logout().catch(() => undefined);
    });
  });
}
