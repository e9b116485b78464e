import type { OutgoingMail } from '@gatehouse/mail';
import type { ClientInfo } from '../tokens/token.service';

/** What a notice of a change tells: what, when, from where; never a token, a code or a secret. */
export interface ChangeFacts {
  readonly subject: string;
  readonly what: string;
  readonly at: Date;
  readonly client: ClientInfo;
}

const MAX_AGENT = 200;

/** A user agent as a reader sees it: one line, printable, bounded (it is the client's own text). */
function readableAgent(userAgent: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  const line = (userAgent ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
  if (!line) return 'an unknown browser or app';
  return line.length > MAX_AGENT ? `${line.slice(0, MAX_AGENT)}…` : line;
}

/** When and from where, as every notice about the account says it (a change, a sign-in from a new device). */
export function whenAndWhere(at: Date, client: ClientInfo): string[] {
  return [
    `When: ${at.toISOString()}`,
    `From the address: ${client.ip ?? 'unknown'}`,
    `With: ${readableAgent(client.userAgent)}`,
  ];
}

/** What the owner should do when it was not them: the way back in first, then whatever may have been planted. */
export const IF_IT_WAS_NOT_YOU: readonly string[] = [
  'If this was you, there is nothing to do.',
  'If it was not: reset your password at once (every device will be signed out), then review the',
  "account's passkeys, API keys, linked providers and second factor, and remove what you do not recognise.",
];

export const changeNotices = {
  /** To the account's current address, for every change of a way in, a factor or the address. */
  changed(to: string, facts: ChangeFacts): OutgoingMail {
    return {
      to,
      purpose: 'account_change_notice',
      subject: facts.subject,
      text: [
        `${facts.what}.`,
        '',
        ...whenAndWhere(facts.at, facts.client),
        '',
        ...IF_IT_WAS_NOT_YOU,
        '',
      ].join('\n'),
    };
  },

  /** To the address an account has just left: the owner may no longer be reading the new one. */
  addressLeft(to: string, newEmail: string, facts: ChangeFacts): OutgoingMail {
    return {
      to,
      purpose: 'account_change_notice',
      subject: 'Your account no longer uses this email address',
      text: [
        `The email address of your account was changed to ${masked(newEmail)}.`,
        '',
        ...whenAndWhere(facts.at, facts.client),
        '',
        'If this was not you, contact support now: mail about the account now goes to the new address.',
        '',
      ].join('\n'),
    };
  },
};

/** `a***@example.com`: enough for the owner to recognise, not a gift to whoever reads the old mailbox. */
export function masked(email: string): string {
  const at = email.lastIndexOf('@');
  return at <= 0 ? '***' : `${email[0]}***${email.slice(at)}`;
}
