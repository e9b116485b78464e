import type { AuditEventDto, UserDto } from './api-types.js';
import type { DpopKeyStore, WebCryptoLike } from './dpop.js';
import type { IdbFactoryLike } from './dpop-key-store.js';
import type { ReauthenticationHandler } from './step-up.js';
import type { CredentialsContainerLike, PublicKeyCredentialStatics } from './webauthn.js';

/** The subset of `fetch` the client uses: the browser's own, or a fake in tests. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** The subset of the Web Locks API (`navigator.locks`) the client uses. */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { ifAvailable?: boolean },
    callback: (lock: unknown) => Promise<T>,
  ): Promise<T>;
}

/** The subset of `BroadcastChannel` the client uses. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}

export interface TimersLike {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface GatehouseClientOptions {
  /**
   * Where the API is: '' (the default) for the page's own origin, or e.g. 'https://api.example.com' or
   * 'https://example.com/gatehouse' (the API's paths go under that prefix).
   */
  baseUrl?: string;
  /**
   * The origin the server knows itself by (its `PUBLIC_URL`), when the page reaches the API somewhere else (a
   * development proxy, say): DPoP proofs name each request's URL on this origin. Default: the API's origin from
   * `baseUrl` (the page's own with '').
   */
  publicUrl?: string;
  /**
   * DPoP (RFC 9449): the key store and WebCrypto behind the proofs. By default, a non-extractable ES256 key in
   * IndexedDB (one per browser profile, shared by its tabs) and the browser's `crypto`; where either is missing,
   * or IndexedDB cannot be opened, bearer tokens. `false`: bearer tokens only.
   */
  dpop?: false | DpopOptions;
  /** Refresh when the access token has less than this left (capped at a quarter of its lifetime). Default 30. */
  refreshLeewaySeconds?: number;
  /** Also refresh on a timer shortly before expiry, without waiting for the next call. Default false. */
  autoRefresh?: boolean;
  /** Names the cross-tab lock and channel: tabs with the same name share one session. Default 'gatehouse'. */
  name?: string;
  /** Gives up on a login, refresh or logout request after this long, so a lock is never held forever. */
  requestTimeoutMs?: number;
  /**
   * Asked when a route wants the user to prove who they are again (a `401` with `insufficient_user_authentication`:
   * a sign-in more recent than `maxAge` seconds, or a second factor). Answer a proof (the client sends it to
   * `reauthenticate` and retries the request once) or `null` to give up (the `401` comes back, an `ApiError` whose
   * `needsReauthentication` is true). Without it, that `401` comes back at once.
   */
  onReauthenticationRequired?: ReauthenticationHandler;
  fetch?: FetchLike;
  /** `navigator.locks` by default; `null` keeps the single flight to this tab. */
  locks?: LockManagerLike | null;
  /** A `BroadcastChannel` by default; `null` keeps tokens to this tab. */
  channel?: ChannelLike | null;
  /** `navigator.credentials` by default, for `createPasskey()` and `signInWithPasskey()`; `null`: no passkeys. */
  credentials?: CredentialsContainerLike | null;
  /** The browser's `PublicKeyCredential` by default; `null`: no passkeys. */
  publicKeyCredential?: PublicKeyCredentialStatics | null;
  now?: () => number;
  timers?: TimersLike;
}

export interface DpopOptions {
  /** Where the profile's key pair is kept; an IndexedDB store by default. */
  store?: DpopKeyStore;
  /** `globalThis.crypto` by default. */
  crypto?: WebCryptoLike;
}

/** What the client finds on `globalThis` in a browser, when the options do not say otherwise. */
export interface BrowserGlobals {
  location?: { origin: string };
  crypto?: Partial<WebCryptoLike>;
  indexedDB?: IdbFactoryLike;
  navigator?: { locks?: LockManagerLike; credentials?: CredentialsContainerLike };
  BroadcastChannel?: new (name: string) => ChannelLike;
  PublicKeyCredential?: Partial<PublicKeyCredentialStatics>;
}

/**
 * What `login()` and `verifyEmailCode()` answer: signed in (the client holds the access token), or a second factor is wanted first:
 * pass `mfaToken` to `verifyMfa()` with a code from the authenticator app or a recovery code. No session exists
 * until then, in this tab or any other.
 */
export type LoginResult =
  | { mfaRequired: false; user: UserDto }
  | { mfaRequired: true; mfaToken: string; methods: string[]; expiresIn: number };

/** The second factor, for `verifyMfa()`, `disableTotp()` and `replaceRecoveryCodes()`: one of the two. */
export type SecondFactor = { code: string } | { recoveryCode: string };

/**
 * Why the access token changed without a new sign-in: `reauthenticated` is a proof given with `reauthenticate()`,
 * `organization` a switch of the active organization with `switchOrganization()`.
 */
export type RefreshReason =
  'restore' | 'expiring' | 'unauthorized' | 'scheduled' | 'reauthenticated' | 'organization';
export type LogoutReason = 'logout' | 'logout-all' | 'session-revoked' | 'session-ended';
/** Whether this tab did it, or another tab did and handed the result over. */
export type EventSource = 'this-tab' | 'other-tab';

export type ClientEvent =
  | { type: 'login'; user: UserDto; expiresAt: number; source: EventSource }
  | { type: 'refresh'; user: UserDto; expiresAt: number; reason: RefreshReason; source: EventSource }
  | { type: 'logout'; reason: LogoutReason; source: EventSource };

/**
 * One event of the user's account history, as `activity()` answers it: what happened (`type`: `login.succeeded`,
 * `passkey.registered`, `session.revoked`, …), when (`at`, ISO 8601), from which `ip` and `userAgent` (as the
 * client sent it: text to show, never markup), and ids and reasons in `details`.
 */
export type ActivityEvent = AuditEventDto;

/** Which page of the account history `activity()` answers: `limit` events (1 to 100) older than `before`. */
export interface ActivityQuery {
  limit?: number;
  /** The `id` of the last event of the previous page (or an ISO 8601 instant). */
  before?: string;
}

/**
 * The organization the access token acts in (its `org` claim), chosen with `switchOrganization()`: the caller's
 * role there and that role's permissions (`members:invite`, `projects:write`, …), for a page to offer only what
 * the server will allow. The server decides from the token alone, so this is what it will see too.
 */
export interface ActiveOrganization {
  id: string;
  role: string;
  permissions: string[];
}

export interface ClientState {
  user: UserDto | null;
  /** When the access token expires, in milliseconds since the epoch (this tab's clock). */
  expiresAt: number | null;
  /** The session (refresh-token family) of the access token. */
  sessionId: string | null;
  /**
   * How the access token goes: `DPoP` when the session is bound to this browser's key (a copy of the token is
   * useless elsewhere), `Bearer` when it is not; null when logged out.
   */
  tokenType: 'Bearer' | 'DPoP' | null;
}
