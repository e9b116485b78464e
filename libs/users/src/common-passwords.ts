import { dictionary } from '@zxcvbn-ts/language-common';

let list: ReadonlySet<string> | undefined;

/**
 * The ranked list of leaked passwords that zxcvbn ships (about 49,000 entries, most common first),
 * compared case-insensitively. Loaded on first use.
 */
export function isCommonPassword(password: string): boolean {
  list ??= new Set(dictionary.passwords.map((entry) => entry.toLowerCase()));
  return list.has(password.toLowerCase());
}
