import type { OutgoingMail } from '@gatehouse/mail';
import { ChangeFacts, whenAndWhere } from './change-notices';

/**
 * The last message to an account's address, queued by its deletion: what happened, when and from where, and
 * that nothing is left to sign in to. It forgets its recipient once sent, so no row keeps the address.
 */
export function farewellNotice(to: string, facts: ChangeFacts): OutgoingMail {
  return {
    to,
    purpose: 'account_deleted_notice',
    subject: facts.subject,
    text: [
      `${facts.what}.`,
      '',
      ...whenAndWhere(facts.at, facts.client),
      '',
      'Every session of the account has ended, and what it held (its profile, sign-in methods, API keys,',
      'memberships and data) is gone; its history keeps only the kinds and times of past events.',
      'This message is the last one to this address, which is not kept once it is sent.',
      '',
      'If you did not ask for this, it was done by someone signed in to your account, or by an administrator:',
      'change the password of any other account that used the same one. You may register again with this address.',
      '',
    ].join('\n'),
    forgetRecipient: true,
  };
}
