import type { OutgoingMail } from '@gatehouse/mail';
import { IF_IT_WAS_NOT_YOU, whenAndWhere } from '../changes/change-notices';
import type { ClientInfo } from '../tokens/token.service';
import type { AuthMethod } from '../tokens/token-types';
import { KNOWN_DEVICE_DAYS } from './known-devices';

/** What a sign-in was proven with, in words (RFC 8176 methods as Gatehouse sets them). */
function provenWith(amr: readonly AuthMethod[]): string {
  if (amr.includes('hwk')) return 'a passkey';
  const parts: string[] = [];
  if (amr.includes('pwd')) parts.push('the password');
  if (amr.includes('fed')) parts.push('a sign-in provider');
  // RFC 8176 has no method for a code by email: it is `otp` alone, or with `mfa` once a second factor followed it.
  if (amr.includes('otp') && parts.length === 0) {
    parts.push('a code sent by email');
    if (amr.includes('mfa')) parts.push('a second factor');
  } else if (amr.includes('otp')) parts.push('a code from the authenticator app');
  else if (amr.includes('mfa')) parts.push('a recovery code');
  return parts.length ? parts.join(' and ') : 'an unknown method';
}

/**
 * To the account's address, when it is signed in to from a browser or device it has not seen lately: when, from
 * where, how, and what to do if it was not its owner. Never a token, a cookie or a code.
 */
export function newDeviceNotice(
  to: string,
  facts: { readonly at: Date; readonly client: ClientInfo; readonly amr: readonly AuthMethod[] },
): OutgoingMail {
  return {
    to,
    purpose: 'new_device_notice',
    subject: 'New sign-in to your account',
    text: [
      `Your account was signed in to from a browser or device it has not seen in the last ${KNOWN_DEVICE_DAYS} days.`,
      '',
      ...whenAndWhere(facts.at, facts.client),
      `Signed in with: ${provenWith(facts.amr)}`,
      '',
      ...IF_IT_WAS_NOT_YOU,
      '',
    ].join('\n'),
  };
}
