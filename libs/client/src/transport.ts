import type { DpopProver } from './dpop.js';
import { isDpopBound } from './encoding.js';
import { ApiError, dpopErrorOf } from './errors.js';
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

/**
 * Where requests go and how they are sent: only to the API, the token only when asked, the cookie always, and a
 * DPoP proof (RFC 9449) with every request that starts, renews or ends a session, and with a bound token.
 */
export class Transport {
  constructor(
    private readonly baseUrl: string,
    private readonly fetchImpl: FetchLike,
    private readonly requestTimeoutMs: number,
    readonly dpop: DpopProver,
    /** The origin the server knows itself by (its PUBLIC_URL), when proofs must name it rather than `baseUrl`'s. */
    private readonly publicUrl?: string,
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

  /**
   * Sends to `url`, which `url()` has checked is on the API: only then may it carry the token. A token bound to
   * this browser's key goes as `DPoP`, with a proof naming it; any other as `Bearer`.
   */
  send(url: string, init: RequestInit, token: string | null): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.delete('DPoP');
    if (token === null) {
      headers.delete('Authorization');
    } else if (isDpopBound(token) && this.dpop.support !== 'unavailable') {
      return this.#proved(url, { ...init, headers, credentials: init.credentials ?? 'include' }, token);
    } else {
      headers.set('Authorization', `Bearer ${token}`);
    }
    return this.#fetch(url, { ...init, headers, credentials: init.credentials ?? 'include' });
  }

  /**
   * A request that starts, renews or ends a session (login, a second factor, a passkey, refresh, logout), with a
   * proof when this browser has a key: a sign-in with one binds the session to it. A proof refused by a server
   * that needs none (the same request goes through without) means it cannot check this page's proofs: they stop.
   */
  async sendForSession(url: string, init: RequestInit): Promise<Response> {
    if ((await this.dpop.key()) === null) return this.#fetch(url, init);
    const response = await this.#proved(url, init, null);
    if (dpopErrorOf(response) !== 'invalid_dpop_proof') return response;
    const bare = await this.#fetch(url, init);
    if (dpopErrorOf(bare) === undefined) this.dpop.refuse();
    return bare;
  }

  /**
   * A JSON call that needs no access token (and so never waits for, or starts, a refresh); `body` undefined
   * sends none.
   */
  async withoutToken<T>(endpoint: Endpoint, body?: unknown): Promise<T> {
    return readAnswer<T>(await this.#fetch(this.url(endpoint.path), this.jsonInit(endpoint.method, body)));
  }

  /** What a proof's `htu` names: the request's URL without query and fragment, on the server's public origin. */
  htu(url: string): string {
    const target = new URL(url);
    const origin = this.publicUrl ? new URL(this.publicUrl).origin : target.origin;
    return `${origin}${target.pathname}`;
  }

  /**
   * Sends with a proof (and `Authorization: DPoP <token>` when there is a token). A server that wants its nonce
   * in proofs answers `use_dpop_nonce` with one: the request goes again, once, with it.
   */
  async #proved(url: string, init: RequestInit, token: string | null): Promise<Response> {
    const method = (init.method ?? 'GET').toUpperCase();
    const claims = token === null ? {} : { accessToken: token };
    let response: Response | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const proof = await this.dpop.proof(method, this.htu(url), claims);
      const headers = new Headers(init.headers);
      if (proof === null) {
        // The key went away between the check and now (IndexedDB failed): the bound token cannot go.
        if (token !== null) headers.set('Authorization', `Bearer ${token}`);
        return this.#fetch(url, { ...init, headers });
      }
      headers.set('DPoP', proof);
      if (token !== null) headers.set('Authorization', `DPoP ${token}`);
      const sentWith = this.dpop.nonce;
      response = await this.#fetch(url, { ...init, headers });
      const wantsNonce = dpopErrorOf(response) === 'use_dpop_nonce';
      if (!wantsNonce || this.dpop.nonce === undefined || this.dpop.nonce === sentWith) return response;
    }
    return response!;
  }

  /** Every answer may carry the server's next nonce: the next proof takes it. */
  async #fetch(url: string, init: RequestInit): Promise<Response> {
    const response = await this.fetchImpl(url, init);
    this.dpop.noteNonce(response);
    return response;
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
