import type { OutgoingMail } from '@gatehouse/mail';

/**
 * The mail of a sign-in code: the code alone on its line (no other number of its length in the text), and no
 * code in the subject, which lock screens and mail lists show to whoever stands by.
 */
export function emailCodeMessage(
  to: string,
  code: string,
  ttlSeconds: number,
  expiresAt: Date,
  newAccount: boolean,
): OutgoingMail {
  const minutes = Math.max(1, Math.round(ttlSeconds / 60));
  return {
    to,
    purpose: 'email_code',
    expiresAt,
    subject: 'Your sign-in code',
    text: [
      newAccount
        ? 'To create your account and sign in, enter this code:'
        : 'To sign in to your account, enter this code:',
      '',
      code,
      '',
      `It works once and expires in ${minutes} minute(s). Asking for another code makes this one stop working.`,
      'Never give it to anyone: nobody from our side will ask for it.',
      'If you did not ask to sign in, you can ignore this message: nobody can sign in without the code.',
      '',
    ].join('\n'),
  };
}
