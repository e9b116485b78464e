/**
 * The demo page: every call goes through the typed client (@gatehouse/client, libs/client). Built by scripts/build-demo.mjs into
 * dist/public/app.js. Text from the server is only ever set with textContent: a note titled `<script>` stays text.
 * Each panel of index.html has a module of its own; this one wires them together, redraws the page, and starts it.
 */
import { renderBinding, tick } from './access-token';
import { clearAccountActivity, loadAccountActivity, wireAccountActivity } from './account-activity';
import { act, redrawWith, showError } from './actions';
import { describe, logActivity, SESSION_ENDED } from './activity-log';
import { client, offerPasskeysWhen } from './client';
import { forgetEmailCode, wireEmailCode } from './email-code';
import { showLinkPanel, takeLinkFromAddress, wireEmailLinks } from './email-links';
import {
  renderInvitation,
  showInvitation,
  takeInvitationFromAddress,
  wireInvitationLink,
} from './invitation-link';
import { clearNotes, loadNotes, wireNotes } from './notes';
import {
  clearOrganizations,
  loadOrganizations,
  organizationChanged,
  wireOrganizations,
} from './organizations';
import { clearPasskeys, loadPasskeys, passkeysOnOffer, renderPasskeys, wirePasskeys } from './passkeys';
import { clearProfile, renderUser, wireProfile } from './profile';
import {
  clearIdentities,
  loadIdentities,
  loadProviders,
  oauthErrorMessage,
  takeOAuthErrorFromAddress,
} from './providers';
import { clearSessions, loadSessions, wireSessions } from './sessions';
import {
  forgetMfaChallenge,
  renderSignInState,
  showMfaPrompt,
  takeMfaFromAddress,
  wireSignIn,
} from './sign-in';
import { clearTwoFactor, wireTwoFactor } from './two-factor';

function render(): void {
  renderSignInState();
  renderBinding();
  renderInvitation();
  // Signed out: nothing of the last account stays on screen, whichever way the session ended.
  if (client.state.user === null) {
    clearProfile();
    clearNotes();
    clearSessions();
    clearAccountActivity();
    clearIdentities();
    clearPasskeys();
    clearTwoFactor();
    clearOrganizations();
  }
  tick();
}

async function loadEverything(): Promise<void> {
  if (!client.isLoggedIn) return;
  renderUser(client.state.user!);
  await Promise.all([
    loadNotes(),
    loadSessions(),
    loadAccountActivity(),
    loadIdentities(),
    loadPasskeys(),
    loadOrganizations(),
  ]);
}

function handleLinkInAddress(): void {
  const invitation = takeInvitationFromAddress();
  if (invitation !== null) {
    showInvitation(invitation);
    return;
  }
  const mfaToken = takeMfaFromAddress();
  if (mfaToken !== null) {
    showMfaPrompt(mfaToken, 'provider');
    return;
  }
  const link = takeLinkFromAddress();
  if (link) showLinkPanel(link);
}

redrawWith(render);
offerPasskeysWhen(passkeysOnOffer);
wirePasskeys();
wireSignIn();
wireEmailCode();
wireTwoFactor();
wireProfile();
wireNotes();
wireSessions();
wireAccountActivity();
wireEmailLinks();
wireOrganizations();
wireInvitationLink();

// A link opened in a tab that already shows the page changes only the fragment: the page does not load again.
window.addEventListener('hashchange', handleLinkInAddress);
const oauthError = takeOAuthErrorFromAddress();
handleLinkInAddress();

client.subscribe((event) => {
  logActivity(describe(event));
  if (event.type === 'login') {
    // Signed in (here or in another tab): a challenge, or a code on its way, still on screen is moot.
    forgetMfaChallenge();
    forgetEmailCode();
    void act(null, loadEverything);
  }
  // A new token may act in another organization (switched here or in another tab), or with another role.
  if (event.type === 'refresh' && organizationChanged()) void act(null, loadOrganizations);
  if (event.type === 'logout' && event.reason === 'session-ended') showError(SESSION_ENDED);
  render();
});

setInterval(tick, 250);

void act(null, async () => {
  renderPasskeys();
  const [restored] = await Promise.all([client.restore(), loadProviders()]);
  // After the providers: the message names the provider when it can.
  if (oauthError !== null) showError(oauthErrorMessage(oauthError));
  if (restored) await loadEverything();
});
