export const MAX_RETURN_TO_LENGTH = 2048;

/**
 * The path on APP_URL to land on after a sign-in, or `/`. Only a plain path survives: `/` then a character that
 * is neither `/` nor `\` (`//evil.com` and `/\evil.com` are other hosts to a browser), no scheme, no control
 * or white-space character anywhere (a header split, or a URL the browser reads differently). Anything beyond
 * ASCII comes back percent-encoded (`/€` is `/%E2%82%AC`), as a browser would send it.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_RETURN_TO_LENGTH) return '/';
  if (value === '/') return value;
  if (!/^\/[^/\\]/.test(value)) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(value)) return '/';
  // Percent-encoded, so it can stand in a Location header (which is ASCII); a lone surrogate cannot be.
  let path: string;
  try {
    // eslint-disable-next-line no-control-regex
    path = value.replace(/[^\u0000-\u007f]+/g, (run) => encodeURIComponent(run));
  } catch {
    return '/';
  }
  // Still a path of APP_URL once a browser has resolved it (percent-escapes are kept as they are).
  const base = 'https://app.invalid';
  try {
    if (new URL(path, base).origin !== base) return '/';
  } catch {
    return '/';
  }
  return path;
}
