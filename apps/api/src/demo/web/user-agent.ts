/** A user agent string as the page shows it: short enough to read, and only ever set as text. */

/** The browser's name and major version, and its platform: "Chrome/131 on X11", or the start of the string. */
export function deviceName(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = /(Edg|Firefox|Chrome|Chromium|Safari)\/[\d.]+/.exec(userAgent)?.[0].replace('Edg', 'Edge');
  const os = /\(([^;)]+)/.exec(userAgent)?.[1];
  return [browser?.split('.')[0], os && `on ${os}`].filter(Boolean).join(' ') || userAgent.slice(0, 60);
}
