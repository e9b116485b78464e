import { ApiError } from './errors.js';
import type { BrowserGlobals, FetchLike } from './options.js';

const NOT_AN_API_PATH = 'the client only calls paths on the API, starting with "/api/"';

/** A route as `ENDPOINTS` lists it. */
export interface Endpoint {
  method: string;
  path: string;
}

/**
 * A URL parser drops tabs and newlines and reads `\` as `/`, so `/\t/evil.example` is another origin: a path with a
 * control character or a backslash is refused rather than guessed at.
 */
function hasControlOrBackslash(path: string): boolean {
  return [...path].some((char) => {
    const code = char.charCodeAt(0);
    return char === '\\' || code < 0x20 || code === 0x7f;
  });
}

/** `value` as one segment of a path: percent-encoded, and never `.` or `..`, which a URL parser reads as a step. */
export function pathSegment(value: string): string {
  if (value === '' || value === '.' || value === '..')
    throw new TypeError(`${JSON.stringify(value)} is no id`);
  return encodeURIComponent(value);
}

export function isWebUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/** The body of a 2xx answer (nothing for a 204), or an `ApiError` for any other. */
export async function readAnswer<T>(response: Response): Promise<T> {
  if (!response.ok) throw await ApiError.from(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Where requests go and how they are sent: only to the API, the token only when asked, the cookie always. */
export class Transport {
  constructor(
    private readonly baseUrl: string,
    readonly fetch: FetchLike,
    private readonly requestTimeoutMs: number,
  ) {}

  /**
   * The absolute URL of `path` on the API, or a `TypeError`. The URL is resolved here, as the browser would, and
   * must still be on the API's origin and under its `/api/`: the access token and the cookie are for the API only.
   */
  url(path: string): string {
    if (!path.startsWith('/api/') || hasControlOrBackslash(path)) {
      throw new TypeError(NOT_AN_API_PATH);
    }
    const base = this.apiBase();
    const prefix = base.pathname.replace(/\/+$/, '');
    const url = new URL(`${prefix}${path}`, base.origin);
    if (url.origin !== base.origin || !url.pathname.startsWith(`${prefix}/api/`)) {
      throw new TypeError(NOT_AN_API_PATH);
    }
    return url.href;
  }

  /** Sends to `url`, which `url()` has checked is on the API: only then may it carry the token. */
  send(url: string, init: RequestInit, token: string | null): Promise<Response> {
    const headers = new Headers(init.headers);
    if (token !== null) headers.set('Authorization', `Bearer ${token}`);
    else headers.delete('Authorization');
    return this.fetch(url, { ...init, headers, credentials: init.credentials ?? 'include' });
  }

  /**
   * A JSON call that needs no access token (and so never waits for, or starts, a refresh); `body` undefined
   * sends none.
   */
  async withoutToken<T>(endpoint: Endpoint, body?: unknown): Promise<T> {
    return readAnswer<T>(await this.fetch(this.url(endpoint.path), this.jsonInit(endpoint.method, body)));
  }

  /** A JSON request's init: `Accept`, the cookie, and the body as JSON when there is one. */
  jsonInit(method: string, body?: unknown, signal?: AbortSignal): RequestInit {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const init: RequestInit = { method, headers, credentials: 'include' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (signal !== undefined) init.signal = signal;
    return init;
  }

  timeoutSignal(): AbortSignal | undefined {
    return typeof AbortSignal !== 'undefined' && typeof AbortSignal.timeout === 'function'
      ? AbortSignal.timeout(this.requestTimeoutMs)
      : undefined;
  }

  /** The `baseUrl` option read against the page, each time: a page's origin exists only in a browser. */
  private apiBase(): URL {
    const pageOrigin = (globalThis as unknown as BrowserGlobals).location?.origin;
    let base: URL;
    try {
      base = new URL(this.baseUrl || '/', pageOrigin);
    } catch {
      throw new TypeError('the client needs a baseUrl when it does not run in a page');
    }
    if (!['http:', 'https:'].includes(base.protocol)) {
      throw new TypeError('the client needs an http(s) baseUrl');
    }
    return base;
  }
}
