import type { OutgoingMail } from '@gatehouse/mail';

/** The front end's fragment for an invitation: a fragment never reaches a server, a log or a Referer. */
export function invitationLink(appUrl: string, token: string): string {
  return `${appUrl}/#invitation=${token}`;
}

// Control and format characters (line breaks, bidirectional overrides, zero-width marks) and line separators.
const INVISIBLE_OR_BREAKING = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu;

/**
 * User-given text made fit for one line of a plain-text message or a subject: what could break the line or
 * disguise the text is replaced by a space, runs of spaces become one, and it is cut to `max` characters.
 */
export function oneLine(text: string, max: number): string {
  const line = text.replace(INVISIBLE_OR_BREAKING, ' ').replace(/\s+/g, ' ').trim();
  const characters = [...line];
  return characters.length > max ? `${characters.slice(0, max - 1).join('')}…` : line;
}

/** "7 days", "12 hours", "90 minutes": the largest unit that says the lifetime exactly. */
export function lifetimeText(seconds: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (seconds % 86400 === 0) return plural(seconds / 86400, 'day');
  if (seconds % 3600 === 0) return plural(seconds / 3600, 'hour');
  return plural(Math.max(1, Math.round(seconds / 60)), 'minute');
}

const withArticle = (role: string) => `${/^[aeiou]/i.test(role) ? 'an' : 'a'} ${role}`;

export interface InvitationMessageInput {
  readonly to: string;
  readonly link: string;
  readonly organizationName: string;
  readonly role: string;
  /** The inviter's address when it is verified; otherwise the message names no one. */
  readonly inviterEmail: string | null;
  readonly ttlSeconds: number;
  readonly expiresAt: Date;
}

/**
 * The invitation, in plain text with the link on a line of its own. The organization's name is the inviter's
 * text: it is quoted, kept to one line, and never put where it could pass for our own words.
 */
export function invitationMessage(input: InvitationMessageInput): OutgoingMail {
  const organization = `“${oneLine(input.organizationName, 100)}”`;
  const who = input.inviterEmail ? oneLine(input.inviterEmail, 254) : 'A member of the organization';
  return {
    to: input.to,
    purpose: 'org_invitation',
    expiresAt: input.expiresAt,
    subject: `Invitation to join “${oneLine(input.organizationName, 60)}”`,
    text: [
      `${who} invited you to join the organization ${organization} as ${withArticle(input.role)}.`,
      '',
      `To accept, sign in with this address (${input.to}), make sure it is verified, and open this link:`,
      '',
      input.link,
      '',
      `The invitation works once and expires in ${lifetimeText(input.ttlSeconds)}. The same link lets you decline it.`,
      'If you do not know who sent it, you can ignore this message.',
      '',
    ].join('\n'),
  };
}
