/** The longest URL an endpoint may have (the column's width). */
export const WEBHOOK_URL_MAX_LENGTH = 2048;

const isControl = (character: string): boolean => {
  const code = character.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
};

/**
 * What is wrong with `text` as an endpoint's URL, or undefined when nothing is: an absolute `http(s)` URL with a
 * host, no user or password in it, nothing the URL parser would silently drop (spaces, control characters), and
 * `https` in production. The URL is kept exactly as given.
 */
export function webhookUrlProblem(text: string, production: boolean): string | undefined {
  if (text.length > WEBHOOK_URL_MAX_LENGTH) return `url must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`;
  if (/\s/.test(text) || [...text].some(isControl))
    return 'url must not contain spaces or control characters';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'url must be an absolute http or https URL';
  }
  // `http:example.com` parses too (the parser forgives a missing `//`): never what was meant.
  const absolute = text.slice(url.protocol.length).startsWith('//');
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !absolute || url.hostname === '') {
    return 'url must be an absolute http or https URL';
  }
  if (url.username !== '' || url.password !== '') return 'url must not contain a user name or password';
  if (production && url.protocol !== 'https:') return 'url must use https (NODE_ENV=production)';
  return undefined;
}
