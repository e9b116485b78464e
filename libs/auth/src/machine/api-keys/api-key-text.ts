import { randomBytes } from 'node:crypto';

/** Every API key begins so: a secret scanner can spot one in a log or a commit, and the guard tells it from a JWT. */
export const API_KEY_PREFIX = 'gat_';
const RANDOM_BYTES = 32;
/** `gat_` and the first 8 random characters: enough to tell keys apart in a list, useless to call with. */
const SHOWN_LENGTH = API_KEY_PREFIX.length + 8;
/** `gat_` and 43 base64url characters; anything else is no key of ours, refused before any lookup. */
const API_KEY_TEXT = /^gat_[A-Za-z0-9_-]{43}$/;

/** A new key: `gat_` and 32 random bytes, base64url. Shown to its owner once; only its hash is kept. */
export function newApiKey(): string {
  return API_KEY_PREFIX + randomBytes(RANDOM_BYTES).toString('base64url');
}

/** Whether a bearer credential claims to be an API key (the guard then never treats it as a JWT). */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export function isWellFormedApiKey(token: string): boolean {
  return API_KEY_TEXT.test(token);
}

export function shownPrefix(key: string): string {
  return key.slice(0, SHOWN_LENGTH);
}
