/**
 * Signing in: the login and register forms, the second-factor prompt that may follow any first step (a password,
 * a mailed code, a provider), and which of the signed-out forms, the prompt or the account is on screen.
 */
import { LoginResult, SecondFactor } from '@gatehouse/client';
import { act, clearError, redrawPage } from './actions';
import { client } from './client';
import { element, fieldsOf, submitButton } from './dom';

const ui = {
  status: element('status'),
  signedOut: element('signed-out'),
  signedIn: element('signed-in'),
  loginForm: element<HTMLFormElement>('login-form'),
  registerForm: element<HTMLFormElement>('register-form'),
  mfaPanel: element('mfa-panel'),
  mfaFirstStep: element('mfa-first-step'),
  mfaForm: element<HTMLFormElement>('mfa-form'),
  mfaCodeField: element('mfa-code-field'),
  mfaCode: element<HTMLInputElement>('mfa-code'),
  mfaRecoveryField: element('mfa-recovery-field'),
  mfaRecoveryCode: element<HTMLInputElement>('mfa-recovery-code'),
  mfaSwitch: element<HTMLButtonElement>('mfa-switch'),
  mfaCancel: element<HTMLButtonElement>('mfa-cancel'),
};

/** The challenge of a sign-in waiting for its second factor: in memory only, never in storage or the address. */
let pendingMfa: { mfaToken: string } | null = null;
let useRecoveryCode = false;

export function renderSignInState(): void {
  const { user } = client.state;
  ui.signedIn.hidden = user === null;
  ui.signedOut.hidden = user !== null || pendingMfa !== null;
  ui.mfaPanel.hidden = user !== null || pendingMfa === null;
  ui.status.textContent = user
    ? `Logged in as ${user.email}${user.displayName ? ` (${user.displayName})` : ''}`
    : 'Not logged in';
}

function setRecoveryMode(on: boolean): void {
  useRecoveryCode = on;
  ui.mfaCodeField.hidden = on;
  ui.mfaRecoveryField.hidden = !on;
  ui.mfaCode.required = !on;
  ui.mfaRecoveryCode.required = on;
  ui.mfaSwitch.textContent = on ? 'Use a code from the app instead' : 'Use a recovery code instead';
  (on ? ui.mfaRecoveryCode : ui.mfaCode).focus();
}

/** The first step of a sign-in that the second factor follows. */
export type FirstStep = 'password' | 'email-code' | 'provider';

/** What the prompt says was right before it asks for the code. */
const FIRST_STEP_PASSED: Record<FirstStep, string> = {
  password: 'Your password was right.',
  'email-code': 'The code from the email was right.',
  provider: 'You signed in with your other account.',
};

export function showMfaPrompt(mfaToken: string, firstStep: FirstStep): void {
  pendingMfa = { mfaToken };
  ui.mfaFirstStep.textContent = FIRST_STEP_PASSED[firstStep];
  ui.mfaForm.reset();
  redrawPage();
  setRecoveryMode(false);
}

function endMfaPrompt(): void {
  pendingMfa = null;
  ui.mfaForm.reset();
  redrawPage();
}

export function forgetMfaChallenge(): void {
  pendingMfa = null;
}

const MFA_FRAGMENT = /^#mfa=(.+)$/;

/**
 * A provider sign-in of an account with the second factor on comes back as `#mfa=<mfaToken>`: taken out of the
 * address at once (and so out of the history), kept in memory, and answered with the code prompt.
 */
export function takeMfaFromAddress(): string | null {
  const match = MFA_FRAGMENT.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return match[1];
}

/** After a first step (a password, a mailed code): either signed in already, or the code prompt. */
export function afterFirstStep(result: LoginResult, firstStep: FirstStep): void {
  if (result.mfaRequired) showMfaPrompt(result.mfaToken, firstStep);
}

export function wireSignIn(): void {
  ui.mfaSwitch.addEventListener('click', () => setRecoveryMode(!useRecoveryCode));
  ui.mfaCancel.addEventListener('click', () => {
    clearError();
    endMfaPrompt();
  });

  ui.mfaForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const challenge = pendingMfa;
    if (!challenge) return;
    const factor: SecondFactor = useRecoveryCode
      ? { recoveryCode: ui.mfaRecoveryCode.value.trim() }
      : { code: ui.mfaCode.value.trim() };
    void act(submitButton(ui.mfaForm), async () => {
      try {
        await client.verifyMfa(challenge.mfaToken, factor);
      } catch (error) {
        ui.mfaCode.value = '';
        ui.mfaRecoveryCode.value = '';
        throw error;
      }
      endMfaPrompt();
    });
  });

  ui.loginForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const { email, password } = fieldsOf(ui.loginForm);
    void act(submitButton(ui.loginForm), async () => {
      afterFirstStep(await client.login(email, password), 'password');
      ui.loginForm.reset();
    });
  });

  ui.registerForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const { email, password, displayName } = fieldsOf(ui.registerForm);
    void act(submitButton(ui.registerForm), async () => {
      await client.register({ email, password, ...(displayName ? { displayName } : {}) });
      afterFirstStep(await client.login(email, password), 'password');
      ui.registerForm.reset();
    });
  });
}
