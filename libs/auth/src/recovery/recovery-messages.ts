import type { OutgoingMail } from '@gatehouse/mail';
import { masked } from '../changes/change-notices';

/** The front end's fragment for each kind of link: a fragment never reaches a server, a log or a Referer. */
export type LinkKind = 'verify-email' | 'reset-password' | 'confirm-email';

export function linkTo(appUrl: string, kind: LinkKind, token: string): string {
  return `${appUrl}/#${kind}=${token}`;
}

const hours = (seconds: number): string =>
  seconds >= 3600 && seconds % 3600 === 0
    ? `${seconds / 3600} hour(s)`
    : `${Math.round(seconds / 60)} minutes`;

/** The messages of the recovery flows, plain text with the link on a line of its own. */
export const recoveryMessages = {
  verifyEmail(to: string, link: string, ttlSeconds: number, expiresAt: Date): OutgoingMail {
    return {
      to,
      purpose: 'verify_email',
      expiresAt,
      subject: 'Confirm your email address',
      text: [
        'Please confirm that this is your email address by opening this link:',
        '',
        link,
        '',
        `The link works once and expires in ${hours(ttlSeconds)}.`,
        'If you did not create an account, you can ignore this message.',
        '',
      ].join('\n'),
    };
  },

  resetPassword(to: string, link: string, ttlSeconds: number, expiresAt: Date): OutgoingMail {
    return {
      to,
      purpose: 'password_reset',
      expiresAt,
      subject: 'Reset your password',
      text: [
        'Someone (we hope you) asked to reset the password of your account. To choose a new one, open this link:',
        '',
        link,
        '',
        `The link works once and expires in ${hours(ttlSeconds)}. Asking again makes this link stop working.`,
        'If you did not ask, you can ignore this message: your password stays as it is.',
        '',
      ].join('\n'),
    };
  },

  confirmNewEmail(to: string, link: string, ttlSeconds: number, expiresAt: Date): OutgoingMail {
    return {
      to,
      purpose: 'email_change',
      expiresAt,
      subject: 'Confirm your new email address',
      text: [
        'To make this the email address of your account, open this link:',
        '',
        link,
        '',
        `The link works once and expires in ${hours(ttlSeconds)}. Until then your account keeps its old address.`,
        'If you did not ask for this, you can ignore this message.',
        '',
      ].join('\n'),
    };
  },

  emailChangeRequested(to: string, newEmail: string): OutgoingMail {
    return {
      to,
      purpose: 'email_change_notice',
      subject: 'A change of your email address was requested',
      text: [
        `Someone signed in to your account asked to change its email address to ${masked(newEmail)}.`,
        'Nothing changes until the link sent to that address is opened.',
        '',
        'If this was not you, change your password now: whoever asked knows it.',
        '',
      ].join('\n'),
    };
  },
};
