/**
 * The Two-factor sign-in panel (TOTP): turning it on with an authenticator app, the recovery codes, and turning
 * it off. The secret and the codes are shown once and never kept.
 */
import { ApiError, SecondFactor } from '@gatehouse/client';
import { loadAccountActivity } from './account-activity';
import { act } from './actions';
import { logActivity } from './activity-log';
import { client } from './client';
import { element, fieldsOf, make, submitButton } from './dom';
import { qrCodeSvg } from './qr-code';
import { loadSessions } from './sessions';

const ui = {
  totpSetupButton: element<HTMLButtonElement>('totp-setup-button'),
  totpSetup: element('totp-setup'),
  totpUrl: element('totp-url'),
  totpSecret: element('totp-secret'),
  totpQr: element('totp-qr'),
  totpConfirmForm: element<HTMLFormElement>('totp-confirm-form'),
  recoveryCodesPanel: element('recovery-codes-panel'),
  recoveryCodes: element('recovery-codes'),
  recoveryCodesDone: element<HTMLButtonElement>('recovery-codes-done'),
  totpManageForm: element<HTMLFormElement>('totp-manage-form'),
  twoFactorOutcome: element('two-factor-outcome'),
};

/** A code from the app is six digits; anything else typed is taken for a recovery code. */
function factorFrom(text: string): SecondFactor {
  const value = text.trim();
  return /^\d{6}$/.test(value) ? { code: value } : { recoveryCode: value };
}

function showRecoveryCodes(codes: string[]): void {
  ui.recoveryCodes.replaceChildren(...codes.map((code) => make('li', code)));
  ui.recoveryCodesPanel.hidden = false;
}

/** Takes the secret and the recovery codes off the page: they are shown once, and never kept. */
function hideTwoFactorSecrets(): void {
  ui.totpSetup.hidden = true;
  ui.totpUrl.textContent = '';
  ui.totpSecret.textContent = '';
  ui.totpQr.querySelector('svg')?.remove();
  ui.totpConfirmForm.reset();
  ui.recoveryCodesPanel.hidden = true;
  ui.recoveryCodes.replaceChildren();
}

export function clearTwoFactor(): void {
  hideTwoFactorSecrets();
  ui.twoFactorOutcome.textContent = '';
}

export function wireTwoFactor(): void {
  ui.totpSetupButton.addEventListener('click', () => {
    void act(ui.totpSetupButton, async () => {
      hideTwoFactorSecrets();
      ui.twoFactorOutcome.textContent = '';
      try {
        const { secret, otpauthUrl } = await client.setupTotp();
        ui.totpUrl.textContent = otpauthUrl;
        ui.totpSecret.textContent = secret;
        ui.totpQr.prepend(qrCodeSvg(otpauthUrl, 'QR code of the setup link, for the authenticator app'));
        ui.totpSetup.hidden = false;
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) {
          ui.twoFactorOutcome.textContent = 'Two-factor sign-in is already on.';
          return;
        }
        throw error;
      }
    });
  });

  ui.totpConfirmForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const { code } = fieldsOf(ui.totpConfirmForm);
    void act(submitButton(ui.totpConfirmForm), async () => {
      const codes = await client.confirmTotp(code.trim());
      hideTwoFactorSecrets();
      showRecoveryCodes(codes);
      ui.twoFactorOutcome.textContent = 'Two-factor sign-in is on. Your other devices were signed out.';
      logActivity('Turned two-factor sign-in on.');
      await Promise.all([loadSessions(), loadAccountActivity()]);
    });
  });

  ui.recoveryCodesDone.addEventListener('click', () => hideTwoFactorSecrets());

  ui.totpManageForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const submitter = event.submitter as HTMLButtonElement | null;
    const input = ui.totpManageForm.elements.namedItem('code') as HTMLInputElement;
    const factor = factorFrom(input.value);
    void act(submitter, async () => {
      ui.twoFactorOutcome.textContent = '';
      hideTwoFactorSecrets();
      if (submitter?.value === 'disable') {
        await client.disableTotp(factor);
        ui.twoFactorOutcome.textContent = 'Two-factor sign-in is off; the recovery codes no longer work.';
        logActivity('Turned two-factor sign-in off.');
      } else {
        showRecoveryCodes(await client.replaceRecoveryCodes(factor));
        ui.twoFactorOutcome.textContent = 'New recovery codes: the old ones no longer work.';
        logActivity('Replaced the recovery codes.');
      }
      ui.totpManageForm.reset();
      await loadAccountActivity();
    });
  });
}
