import type {
  AcceptedDto,
  AuthenticationCredentialDto,
  CreateNoteDto,
  ErrorDto,
  IdentityDto,
  LinkProviderDto,
  LinkUrlDto,
  MfaRequiredDto,
  NoteDto,
  NotePageDto,
  PasskeyCreationOptionsDto,
  PasskeyDto,
  PasskeyRequestOptionsDto,
  ProviderDto,
  RecoveryCodesDto,
  RegisterDto,
  RegisterPasskeyDto,
  RegistrationCredentialDto,
  SessionDto,
  TokenResponseDto,
  TotpSetupDto,
  UserDto,
} from './api-types.js';

/**
 * The routes this client calls, with the OpenAPI schema of what goes in and comes out. Each method below uses
 * its entry, and test/browser.e2e-spec.ts checks every entry against the live OpenAPI document.
 */
export const ENDPOINTS = {
  register: { method: 'POST', path: '/api/auth/register', body: 'RegisterDto', response: 'UserDto' },
  login: {
    method: 'POST',
    path: '/api/auth/login',
    body: 'LoginDto',
    response: 'TokenResponseDto | MfaRequiredDto',
  },
  verifyMfa: {
    method: 'POST',
    path: '/api/auth/mfa/verify',
    body: 'VerifyMfaDto',
    response: 'TokenResponseDto',
  },
  setupTotp: { method: 'POST', path: '/api/auth/mfa/totp/setup', body: null, response: 'TotpSetupDto' },
  confirmTotp: {
    method: 'POST',
    path: '/api/auth/mfa/totp/confirm',
    body: 'TotpCodeDto',
    response: 'RecoveryCodesDto',
  },
  disableTotp: { method: 'DELETE', path: '/api/auth/mfa/totp', body: 'SecondFactorDto', response: null },
  replaceRecoveryCodes: {
    method: 'POST',
    path: '/api/auth/mfa/recovery-codes',
    body: 'SecondFactorDto',
    response: 'RecoveryCodesDto',
  },
  refresh: { method: 'POST', path: '/api/auth/refresh', body: null, response: 'TokenResponseDto' },
  logout: { method: 'POST', path: '/api/auth/logout', body: null, response: null },
  logoutAll: { method: 'POST', path: '/api/auth/logout-all', body: null, response: null },
  sessions: { method: 'GET', path: '/api/auth/sessions', body: null, response: 'SessionDto[]' },
  revokeSession: { method: 'DELETE', path: '/api/auth/sessions/{id}', body: null, response: null },
  me: { method: 'GET', path: '/api/users/me', body: null, response: 'UserDto' },
  verifyEmail: { method: 'POST', path: '/api/auth/verify-email', body: 'EmailTokenDto', response: null },
  resendVerification: {
    method: 'POST',
    path: '/api/auth/verify-email/resend',
    body: null,
    response: 'AcceptedDto',
  },
  forgotPassword: {
    method: 'POST',
    path: '/api/auth/password/forgot',
    body: 'ForgotPasswordDto',
    response: 'AcceptedDto',
  },
  changeEmail: {
    method: 'POST',
    path: '/api/users/me/email',
    body: 'ChangeEmailDto',
    response: 'AcceptedDto',
  },
  confirmEmail: { method: 'POST', path: '/api/auth/confirm-email', body: 'EmailTokenDto', response: null },
  resetPassword: {
    method: 'POST',
    path: '/api/auth/password/reset',
    body: 'ResetPasswordDto',
    response: null,
  },
  providers: { method: 'GET', path: '/api/auth/oauth/providers', body: null, response: 'ProviderDto[]' },
  oauthStart: { method: 'GET', path: '/api/auth/oauth/{provider}/start', body: null, response: null },
  linkProvider: {
    method: 'POST',
    path: '/api/auth/oauth/{provider}/link',
    body: 'LinkProviderDto',
    response: 'LinkUrlDto',
  },
  identities: { method: 'GET', path: '/api/auth/identities', body: null, response: 'IdentityDto[]' },
  unlinkIdentity: { method: 'DELETE', path: '/api/auth/identities/{id}', body: null, response: null },
  passkeyRegistrationOptions: {
    method: 'POST',
    path: '/api/auth/passkeys/register/options',
    body: null,
    response: 'PasskeyCreationOptionsDto',
  },
  registerPasskey: {
    method: 'POST',
    path: '/api/auth/passkeys/register',
    body: 'RegisterPasskeyDto',
    response: 'PasskeyDto',
  },
  passkeys: { method: 'GET', path: '/api/auth/passkeys', body: null, response: 'PasskeyDto[]' },
  renamePasskey: {
    method: 'PATCH',
    path: '/api/auth/passkeys/{id}',
    body: 'RenamePasskeyDto',
    response: 'PasskeyDto',
  },
  deletePasskey: { method: 'DELETE', path: '/api/auth/passkeys/{id}', body: null, response: null },
  passkeyLoginOptions: {
    method: 'POST',
    path: '/api/auth/passkeys/login/options',
    body: null,
    response: 'PasskeyRequestOptionsDto',
  },
  loginWithPasskey: {
    method: 'POST',
    path: '/api/auth/passkeys/login',
    body: 'PasskeyLoginDto',
    response: 'TokenResponseDto',
  },
  listNotes: { method: 'GET', path: '/api/notes', body: null, response: 'NotePageDto' },
  createNote: { method: 'POST', path: '/api/notes', body: 'CreateNoteDto', response: 'NoteDto' },
} as const;

const NOT_AN_API_PATH = 'the client only calls paths on the API, starting with "/api/"';

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

/**
 * The subset of `navigator.credentials` the client uses to make and use passkeys. What it answers is checked
 * when it arrives: a `PublicKeyCredential`, whose `toJSON()` goes to the server.
 */
export interface CredentialsContainerLike {
  create(options: { publicKey: unknown }): Promise<unknown>;
  get(options: { publicKey: unknown }): Promise<unknown>;
}

/** The statics of the browser's `PublicKeyCredential` that turn the server's JSON options into the browser's. */
export interface PublicKeyCredentialStatics {
  parseCreationOptionsFromJSON(options: PasskeyCreationOptionsDto): unknown;
  parseRequestOptionsFromJSON(options: PasskeyRequestOptionsDto): unknown;
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
  /** Refresh when the access token has less than this left (capped at a quarter of its lifetime). Default 30. */
  refreshLeewaySeconds?: number;
  /** Also refresh on a timer shortly before expiry, without waiting for the next call. Default false. */
  autoRefresh?: boolean;
  /** Names the cross-tab lock and channel: tabs with the same name share one session. Default 'gatehouse'. */
  name?: string;
  /** Gives up on a login, refresh or logout request after this long, so a lock is never held forever. */
  requestTimeoutMs?: number;
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

/**
 * What `login()` answers: signed in (the client holds the access token), or a second factor is wanted first:
 * pass `mfaToken` to `verifyMfa()` with a code from the authenticator app or a recovery code. No session exists
 * until then, in this tab or any other.
 */
export type LoginResult =
  | { mfaRequired: false; user: UserDto }
  | { mfaRequired: true; mfaToken: string; methods: string[]; expiresIn: number };

/** The second factor, for `verifyMfa()`, `disableTotp()` and `replaceRecoveryCodes()`: one of the two. */
export type SecondFactor = { code: string } | { recoveryCode: string };

function isMfaRequired(body: TokenResponseDto | MfaRequiredDto): body is MfaRequiredDto {
  return (body as MfaRequiredDto).mfaRequired === true;
}

/** Only the one field the caller chose goes on the wire. */
function secondFactorBody(factor: SecondFactor): SecondFactor {
  return 'code' in factor ? { code: factor.code } : { recoveryCode: factor.recoveryCode };
}

export type RefreshReason = 'restore' | 'expiring' | 'unauthorized' | 'scheduled';
export type LogoutReason = 'logout' | 'logout-all' | 'session-revoked' | 'session-ended';
/** Whether this tab did it, or another tab did and handed the result over. */
export type EventSource = 'this-tab' | 'other-tab';

export type ClientEvent =
  | { type: 'login'; user: UserDto; expiresAt: number; source: EventSource }
  | { type: 'refresh'; user: UserDto; expiresAt: number; reason: RefreshReason; source: EventSource }
  | { type: 'logout'; reason: LogoutReason; source: EventSource };

export interface ClientState {
  user: UserDto | null;
  /** When the access token expires, in milliseconds since the epoch (this tab's clock). */
  expiresAt: number | null;
  /** The session (refresh-token family) of the access token. */
  sessionId: string | null;
}

/**
 * A non-2xx answer from the API, with its Nest error body when there is one, and the `error` of its
 * `WWW-Authenticate: Bearer` challenge (RFC 6750) when it has one the page may read: `invalid_token`, or
 * `insufficient_user_authentication` (RFC 9470) from a route that wants a session begun with a second factor.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorDto | undefined,
    readonly bearerError?: string,
  ) {
    const detail = body ? [body.message].flat().join('; ') : undefined;
    super(detail ? `${status}: ${detail}` : `the API answered ${status}`);
    this.name = 'ApiError';
  }

  /** A 401 that no refresh can cure: the session is fine, its sign-in lacked a second factor. */
  get needsSecondFactor(): boolean {
    return this.bearerError === INSUFFICIENT_USER_AUTHENTICATION;
  }

  static async from(response: Response): Promise<ApiError> {
    let body: ErrorDto | undefined;
    try {
      body = (await response.json()) as ErrorDto;
    } catch {
      body = undefined;
    }
    return new ApiError(response.status, body, bearerErrorOf(response));
  }
}

const INSUFFICIENT_USER_AUTHENTICATION = 'insufficient_user_authentication';

/** The `error` parameter of a `WWW-Authenticate: Bearer …` header, when there is one. */
function bearerErrorOf(response: Response): string | undefined {
  const challenge = response.headers.get('WWW-Authenticate');
  if (!challenge || !/^\s*bearer\b/i.test(challenge)) return undefined;
  return /(?:^|[\s,])error="([^"]*)"/i.exec(challenge)?.[1];
}

/**
 * The JSON of the credential `navigator.credentials` answered, as the server takes it. Anything without
 * `toJSON()` (no credential at all, or a browser too old to write one) is a `TypeError`, and nothing is sent.
 */
function credentialJson<T>(credential: unknown): T {
  const toJSON = (credential as { toJSON?: unknown } | null)?.toJSON;
  if (typeof toJSON !== 'function') throw new TypeError('the browser answered no passkey credential');
  return toJSON.call(credential) as T;
}

type TokenMessage = {
  v: 1;
  kind: 'login' | 'refresh';
  reason?: RefreshReason;
  accessToken: string;
  expiresAt: number;
  lifetimeMs: number;
  user: UserDto;
};
type LogoutMessage = { v: 1; kind: 'logout'; reason: LogoutReason; sentAt: number };
type Message = TokenMessage | LogoutMessage;

function isMessage(data: unknown): data is Message {
  if (typeof data !== 'object' || data === null) return false;
  const message = data as Record<string, unknown>;
  if (message.v !== 1) return false;
  if (message.kind === 'logout')
    return typeof message.reason === 'string' && typeof message.sentAt === 'number';
  return (
    (message.kind === 'login' || message.kind === 'refresh') &&
    typeof message.accessToken === 'string' &&
    typeof message.expiresAt === 'number' &&
    typeof message.lifetimeMs === 'number' &&
    typeof message.user === 'object' &&
    message.user !== null
  );
}

/** The `sid` claim of a JWT, read without verifying it: the server verifies, the client only needs the id. */
function sessionIdOf(token: string): string | null {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, '='))) as {
      sid?: unknown;
    };
    return typeof claims.sid === 'string' ? claims.sid : null;
  } catch {
    return null;
  }
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
function pathSegment(value: string): string {
  if (value === '' || value === '.' || value === '..')
    throw new TypeError(`${JSON.stringify(value)} is no id`);
  return encodeURIComponent(value);
}

function isWebUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

interface BrowserGlobals {
  location?: { origin: string };
  navigator?: { locks?: LockManagerLike; credentials?: CredentialsContainerLike };
  BroadcastChannel?: new (name: string) => ChannelLike;
  PublicKeyCredential?: Partial<PublicKeyCredentialStatics>;
}

/** The browser's `PublicKeyCredential`, when it can read the server's JSON options (Chrome 129, Safari 18.4…). */
function jsonReadyPublicKeyCredential(
  found: Partial<PublicKeyCredentialStatics> | undefined,
): PublicKeyCredentialStatics | null {
  return typeof found?.parseCreationOptionsFromJSON === 'function' &&
    typeof found.parseRequestOptionsFromJSON === 'function'
    ? (found as PublicKeyCredentialStatics)
    : null;
}

/**
 * A browser client for Gatehouse. The access token lives in this object only (a private field): never in
 * `localStorage`, `sessionStorage` or a cookie a script can read. The refresh token is an HttpOnly cookie the
 * browser sends to `/api/auth` by itself. One refresh runs at a time per browser (a Web Lock), and its result
 * is handed to the other tabs over a BroadcastChannel.
 */
export class GatehouseClient {
  #token: string | null = null;
  #expiresAt: number | null = null;
  #lifetimeMs = 0;
  #user: UserDto | null = null;
  #loggedInAt = 0;
  /** False once the server said there is no session (or we logged out): no refresh is tried until a login. */
  #mayHaveCookie = true;
  #refreshing: Promise<void> | null = null;
  #timer: unknown = undefined;
  #messagesSeen = 0;
  #messageWaiters: (() => void)[] = [];
  readonly #listeners = new Set<(event: ClientEvent) => void>();

  readonly #baseUrl: string;
  readonly #leewayMs: number;
  readonly #autoRefresh: boolean;
  readonly #lockName: string;
  readonly #requestTimeoutMs: number;
  readonly #fetch: FetchLike;
  readonly #locks: LockManagerLike | null;
  readonly #channel: ChannelLike | null;
  readonly #credentials: CredentialsContainerLike | null;
  readonly #publicKeyCredential: PublicKeyCredentialStatics | null;
  readonly #now: () => number;
  readonly #timers: TimersLike;

  constructor(options: GatehouseClientOptions = {}) {
    const browser = globalThis as unknown as BrowserGlobals;
    const name = options.name ?? 'gatehouse';
    this.#baseUrl = options.baseUrl ?? '';
    this.#leewayMs = (options.refreshLeewaySeconds ?? 30) * 1000;
    this.#autoRefresh = options.autoRefresh ?? false;
    this.#lockName = `${name}:refresh`;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#locks = options.locks !== undefined ? options.locks : (browser.navigator?.locks ?? null);
    this.#channel =
      options.channel !== undefined
        ? options.channel
        : browser.BroadcastChannel
          ? new browser.BroadcastChannel(`${name}:session`)
          : null;
    this.#credentials =
      options.credentials !== undefined ? options.credentials : (browser.navigator?.credentials ?? null);
    this.#publicKeyCredential =
      options.publicKeyCredential !== undefined
        ? options.publicKeyCredential
        : jsonReadyPublicKeyCredential(browser.PublicKeyCredential);
    this.#now = options.now ?? (() => Date.now());
    this.#timers = options.timers ?? {
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
    };
    this.#channel?.addEventListener('message', (event) => this.#onMessage(event.data));
  }

  get state(): ClientState {
    return {
      user: this.#user,
      expiresAt: this.#expiresAt,
      sessionId: this.#token === null ? null : sessionIdOf(this.#token),
    };
  }

  get isLoggedIn(): boolean {
    return this.#token !== null;
  }

  /**
   * Whether this browser can make and use passkeys through `createPasskey()` and `signInWithPasskey()`. The
   * page must also be on a domain name the server's RP id covers (never an IP address): the browser checks that
   * when it is asked, and refuses with a `SecurityError`.
   */
  get passkeysSupported(): boolean {
    return this.#credentials !== null && this.#publicKeyCredential !== null;
  }

  /** Calls `listener` on every login, refresh and logout, this tab's and other tabs'. Returns an unsubscribe. */
  subscribe(listener: (event: ClientEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops the timer and leaves the channel (for a single-page app tearing the client down). */
  close(): void {
    this.#cancelTimer();
    this.#channel?.close();
  }

  // ---- Authentication -------------------------------------------------------------------------------------

  register(input: RegisterDto): Promise<UserDto> {
    return this.#withoutToken<UserDto>(ENDPOINTS.register, input);
  }

  /** Uses a `#verify-email=` link's token: the user's address is verified. */
  async verifyEmail(token: string): Promise<void> {
    await this.#withoutToken<void>(ENDPOINTS.verifyEmail, { token });
  }

  /** Sends the signed-in user a fresh verification link (earlier ones stop working). */
  async resendVerification(): Promise<void> {
    const { method, path } = ENDPOINTS.resendVerification;
    await this.request<AcceptedDto>(method, path);
  }

  /** Asks for a reset link; the answer is the same whether or not the account exists. */
  async forgotPassword(email: string): Promise<void> {
    await this.#withoutToken<AcceptedDto>(ENDPOINTS.forgotPassword, { email });
  }

  /** Uses a `#reset-password=` link's token to set a new password. Every session ends; log in again after. */
  async resetPassword(token: string, newPassword: string): Promise<void> {
    await this.#withoutToken<void>(ENDPOINTS.resetPassword, { token, newPassword });
  }

  /** Asks to move the account to `newEmail`: a link goes there; nothing changes until it is used. */
  async changeEmail(newEmail: string, currentPassword: string): Promise<void> {
    const { method, path } = ENDPOINTS.changeEmail;
    await this.request<AcceptedDto>(method, path, { newEmail, currentPassword });
  }

  /** Uses a `#confirm-email=` link's token: the account moves to the new address; other sessions end. */
  async confirmEmail(token: string): Promise<void> {
    await this.#withoutToken<void>(ENDPOINTS.confirmEmail, { token });
  }

  /**
   * A JSON call that needs no access token (and so never waits for, or starts, a refresh); `body` undefined
   * sends none.
   */
  async #withoutToken<T>(endpoint: { method: string; path: string }, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const init: RequestInit = { method: endpoint.method, headers, credentials: 'include' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return this.#read<T>(await this.#fetch(this.#url(endpoint.path), init));
  }

  /**
   * Logs in: a new session in every tab of this browser, or, for an account with the second factor on, a
   * challenge to answer with `verifyMfa()` (nothing is signed in until then).
   */
  async login(email: string, password: string): Promise<LoginResult> {
    const body = await this.#signIn<TokenResponseDto | MfaRequiredDto>(ENDPOINTS.login, { email, password });
    if (isMfaRequired(body)) {
      const { mfaToken, methods, expiresIn } = body;
      return { mfaRequired: true, mfaToken, methods, expiresIn };
    }
    return { mfaRequired: false, user: body.user };
  }

  /**
   * Answers a login's (or a provider sign-in's `#mfa=`) challenge with a code from the authenticator app or a
   * recovery code: signed in exactly as after a login without one. An `ApiError` 401 for a wrong code or a dead
   * `mfaToken` (single-use, 5 minutes, 5 wrong codes); 429 when too many wrong codes were tried.
   */
  async verifyMfa(mfaToken: string, factor: SecondFactor): Promise<UserDto> {
    const body = await this.#signIn<TokenResponseDto>(ENDPOINTS.verifyMfa, {
      mfaToken,
      ...secondFactorBody(factor),
    });
    return body.user;
  }

  /** A sign-in call under the lock; a token in the answer becomes this browser's session, announced to every tab. */
  async #signIn<T extends TokenResponseDto | MfaRequiredDto>(
    endpoint: { method: string; path: string },
    payload: unknown,
  ): Promise<T> {
    return this.#withLock(false, async () => {
      const response = await this.#fetch(this.#url(endpoint.path), {
        method: endpoint.method,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(payload),
        credentials: 'include',
        signal: this.#timeoutSignal(),
      });
      const body = await this.#read<T>(response);
      if (isMfaRequired(body)) return body;
      this.#adopt(body.accessToken, this.#now() + body.expiresIn * 1000, body.expiresIn * 1000, body.user);
      this.#loggedInAt = this.#now();
      this.#post({ v: 1, kind: 'login', ...this.#tokenFields() });
      this.#emit({ type: 'login', user: body.user, expiresAt: this.#expiresAt!, source: 'this-tab' });
      return body;
    });
  }

  /**
   * Signs in with a passkey assertion (`PublicKeyCredential.toJSON()` of what `navigator.credentials.get()`
   * answered to `passkeyLoginOptions()`): a new session in every tab, as after a login. Never a second-factor
   * step: a passkey with user verification is two factors on its own. An `ApiError` 401 for an unknown passkey, a
   * bad signature, a used or expired challenge, or a disabled account.
   */
  async loginWithPasskey(credential: AuthenticationCredentialDto): Promise<UserDto> {
    const body = await this.#signIn<TokenResponseDto>(ENDPOINTS.loginWithPasskey, { credential });
    return body.user;
  }

  // ---- Second factor (TOTP and recovery codes) --------------------------------------------------------------

  /**
   * Starts turning the second factor on: a new secret (and its `otpauth://` URL for the app), pending until
   * `confirmTotp()`. An `ApiError` 409 when it is already on.
   */
  setupTotp(): Promise<TotpSetupDto> {
    const { method, path } = ENDPOINTS.setupTotp;
    return this.request<TotpSetupDto>(method, path);
  }

  /**
   * Turns it on with a code from the app: the ten recovery codes, shown this once. The server ends every other
   * session of the user; this one stays. An `ApiError` 400 for a wrong code.
   */
  async confirmTotp(code: string): Promise<string[]> {
    const { method, path } = ENDPOINTS.confirmTotp;
    const answer = await this.request<RecoveryCodesDto>(method, path, { code });
    return answer.recoveryCodes;
  }

  /** Turns it off (the recovery codes go too), with a code from the app or a recovery code. */
  async disableTotp(factor: SecondFactor): Promise<void> {
    const { method, path } = ENDPOINTS.disableTotp;
    await this.request<void>(method, path, secondFactorBody(factor));
  }

  /** Ten new recovery codes; the old ones stop working. */
  async replaceRecoveryCodes(factor: SecondFactor): Promise<string[]> {
    const { method, path } = ENDPOINTS.replaceRecoveryCodes;
    const answer = await this.request<RecoveryCodesDto>(method, path, secondFactorBody(factor));
    return answer.recoveryCodes;
  }

  /**
   * After a page load: takes the session back from the refresh cookie alone. True when logged in.
   * Throws only when the server could not be reached or is unavailable (the cookie is kept then).
   */
  async restore(): Promise<boolean> {
    if (this.#token !== null && !this.#expiringSoon()) return true;
    this.#mayHaveCookie = true;
    await this.#ensureFresh(this.#token, 'restore');
    return this.#token !== null;
  }

  /** Ends this session on the server and in every tab. Local state is cleared even if the server is not reached. */
  async logout(): Promise<void> {
    const { method, path } = ENDPOINTS.logout;
    await this.#withLock(false, async () => {
      const response = await this.#fetch(this.#url(path), {
        method,
        credentials: 'include',
        signal: this.#timeoutSignal(),
      }).finally(() => this.#end('logout', 'this-tab'));
      if (!response.ok) throw await ApiError.from(response);
    });
  }

  /** Ends every session of the user, on every device. */
  async logoutAll(): Promise<void> {
    const { method, path } = ENDPOINTS.logoutAll;
    await this.request<void>(method, path);
    this.#end('logout-all', 'this-tab');
  }

  sessions(): Promise<SessionDto[]> {
    const { method, path } = ENDPOINTS.sessions;
    return this.request<SessionDto[]>(method, path);
  }

  /** Revokes one session; revoking this tab's own session logs this browser out. */
  async revokeSession(id: string): Promise<void> {
    const { method, path } = ENDPOINTS.revokeSession;
    const current = this.state.sessionId;
    await this.request<void>(method, path.replace('{id}', pathSegment(id)));
    if (id === current) this.#end('session-revoked', 'this-tab');
  }

  // ---- Other providers (OAuth 2.0, OpenID Connect) -------------------------------------------------------

  /** The providers the server is configured with, for their sign-in buttons. Needs no session. */
  providers(): Promise<ProviderDto[]> {
    return this.#withoutToken<ProviderDto[]>(ENDPOINTS.providers);
  }

  /**
   * Where a "Sign in with …" link points: the server sends the browser on to the provider, and back to
   * `returnTo` (a path on the front end; the server puts anything else back to `/`) with a session, or to
   * `/?oauth_error=<code>`. A plain link, not a `fetch`: the page leaves for the provider. Sends nothing.
   */
  oauthStartUrl(providerId: string, returnTo?: string): string {
    const path = ENDPOINTS.oauthStart.path.replace('{provider}', pathSegment(providerId));
    const query = returnTo === undefined ? '' : `?${new URLSearchParams({ returnTo }).toString()}`;
    return this.#url(`${path}${query}`);
  }

  /**
   * Begins attaching an account at `providerId` to the signed-in user: the answer's `url` is the provider's,
   * to open in this same browser (the response set the cookie the way back needs). Back at `returnTo`, the
   * session is the same; a refusal comes back as `?oauth_error=<code>`.
   */
  async linkProvider(providerId: string, returnTo?: string): Promise<LinkUrlDto> {
    const { method, path } = ENDPOINTS.linkProvider;
    const body: LinkProviderDto = returnTo === undefined ? {} : { returnTo };
    const answer = await this.request<LinkUrlDto>(
      method,
      path.replace('{provider}', pathSegment(providerId)),
      body,
    );
    // The page navigates to it: only ever a web address, never a `javascript:` one.
    if (!isWebUrl(answer.url)) throw new TypeError('the server answered a link URL that is not http(s)');
    return answer;
  }

  /** The signed-in user's accounts at providers, oldest first. */
  identities(): Promise<IdentityDto[]> {
    const { method, path } = ENDPOINTS.identities;
    return this.request<IdentityDto[]>(method, path);
  }

  /** Detaches one; an `ApiError` with status 409 when it is the account's last way to sign in. */
  async unlinkIdentity(id: string): Promise<void> {
    const { method, path } = ENDPOINTS.unlinkIdentity;
    await this.request<void>(method, path.replace('{id}', pathSegment(id)));
  }

  // ---- Passkeys (WebAuthn) -------------------------------------------------------------------------------------

  /**
   * The options for a new passkey of the signed-in user, for `PublicKeyCredential.parseCreationOptionsFromJSON`:
   * a discoverable credential with user verification, the user's passkeys excluded. An `ApiError` 401 whose
   * `needsSecondFactor` is true when the user has the authenticator app on and this session did not pass it;
   * 404 when the server has passkeys off.
   */
  passkeyRegistrationOptions(): Promise<PasskeyCreationOptionsDto> {
    const { method, path } = ENDPOINTS.passkeyRegistrationOptions;
    return this.request<PasskeyCreationOptionsDto>(method, path);
  }

  /**
   * Keeps the passkey the browser made (`PublicKeyCredential.toJSON()` of what `navigator.credentials.create()`
   * answered), under `name` (1 to 64 characters; the server picks one without it). An `ApiError` 400 for a bad or
   * replayed response.
   */
  registerPasskey(credential: RegistrationCredentialDto, name?: string): Promise<PasskeyDto> {
    const { method, path } = ENDPOINTS.registerPasskey;
    const body: RegisterPasskeyDto = name === undefined ? { credential } : { credential, name };
    return this.request<PasskeyDto>(method, path, body);
  }

  /** The signed-in user's passkeys. */
  passkeys(): Promise<PasskeyDto[]> {
    const { method, path } = ENDPOINTS.passkeys;
    return this.request<PasskeyDto[]>(method, path);
  }

  async renamePasskey(id: string, name: string): Promise<PasskeyDto> {
    const { method, path } = ENDPOINTS.renamePasskey;
    return this.request<PasskeyDto>(method, path.replace('{id}', pathSegment(id)), { name });
  }

  /** The passkey stops signing in; an `ApiError` 409 when it is the account's last way to sign in. */
  async deletePasskey(id: string): Promise<void> {
    const { method, path } = ENDPOINTS.deletePasskey;
    await this.request<void>(method, path.replace('{id}', pathSegment(id)));
  }

  /**
   * The options of a passkey sign-in, for `PublicKeyCredential.parseRequestOptionsFromJSON`: no email asked, the
   * browser offers the passkeys it holds for the site. Needs no session. An `ApiError` 404 when passkeys are off.
   */
  passkeyLoginOptions(): Promise<PasskeyRequestOptionsDto> {
    return this.#withoutToken<PasskeyRequestOptionsDto>(ENDPOINTS.passkeyLoginOptions);
  }

  /**
   * Makes a passkey in this browser and keeps it for the signed-in user: the server's options, the browser's
   * dialog (`navigator.credentials.create`), then `registerPasskey()`. The browser's refusals come through as
   * they are: a `DOMException` named `NotAllowedError` when the user cancels or fails verification,
   * `InvalidStateError` when this authenticator has one of the user's passkeys already.
   */
  async createPasskey(name?: string): Promise<PasskeyDto> {
    const { credentials, publicKeyCredential } = this.#webAuthn();
    const options = await this.passkeyRegistrationOptions();
    const credential = await credentials.create({
      publicKey: publicKeyCredential.parseCreationOptionsFromJSON(options),
    });
    return this.registerPasskey(credentialJson<RegistrationCredentialDto>(credential), name);
  }

  /**
   * Signs in with a passkey this browser offers (`navigator.credentials.get`), no email asked: the same session
   * in every tab as after `login()`. The browser's refusals come through as they are (`NotAllowedError` when the
   * user cancels or fails verification); the server's as an `ApiError` 401.
   */
  async signInWithPasskey(): Promise<UserDto> {
    const { credentials, publicKeyCredential } = this.#webAuthn();
    const options = await this.passkeyLoginOptions();
    const credential = await credentials.get({
      publicKey: publicKeyCredential.parseRequestOptionsFromJSON(options),
    });
    return this.loginWithPasskey(credentialJson<AuthenticationCredentialDto>(credential));
  }

  /** What the passkey conveniences need, checked before anything is asked of the server. */
  #webAuthn(): { credentials: CredentialsContainerLike; publicKeyCredential: PublicKeyCredentialStatics } {
    if (this.#credentials === null || this.#publicKeyCredential === null) {
      throw new TypeError('this browser cannot make or use passkeys here (no WebAuthn with JSON options)');
    }
    return { credentials: this.#credentials, publicKeyCredential: this.#publicKeyCredential };
  }

  me(): Promise<UserDto> {
    const { method, path } = ENDPOINTS.me;
    return this.request<UserDto>(method, path);
  }

  listNotes(limit = 20, offset = 0): Promise<NotePageDto> {
    const { method, path } = ENDPOINTS.listNotes;
    return this.request<NotePageDto>(method, `${path}?limit=${limit}&offset=${offset}`);
  }

  createNote(input: CreateNoteDto): Promise<NoteDto> {
    const { method, path } = ENDPOINTS.createNote;
    return this.request<NoteDto>(method, path, input);
  }

  // ---- Calling the API ------------------------------------------------------------------------------------

  /** A JSON call through `apiFetch`: the parsed body, or an `ApiError` for a non-2xx answer. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return this.#read<T>(await this.apiFetch(path, init));
  }

  /**
   * `fetch` for the API: `path` is a path on the API (`/api/...`); anything else is a `TypeError`, and nothing is
   * sent. Attaches the access token, refreshing it first when it is about to expire; on a `401`, refreshes once
   * and retries the request once. The answer to the retry is returned as it is, whatever it is: there is never a
   * second retry. A `401` demanding a second factor (`insufficient_user_authentication`) is returned at once: a
   * refresh keeps the sign-in's factors. The body must be re-sendable (a string, `FormData`, `Blob`…, not a stream).
   */
  async apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
    const url = this.#url(path);
    const token = await this.#tokenForRequest();
    const response = await this.#send(url, init, token);
    if (response.status !== 401 || token === null) return response;
    // The token is fine; the route wants a sign-in with a second factor, which no refresh gives.
    if (bearerErrorOf(response) === INSUFFICIENT_USER_AUTHENTICATION) return response;
    try {
      await this.#ensureFresh(token, 'unauthorized');
    } catch {
      return response;
    }
    if (this.#token === null) return response;
    return this.#send(url, init, this.#token);
  }

  /** Sends to `url`, which `#url` has checked is on the API: only then may it carry the token. */
  #send(url: string, init: RequestInit, token: string | null): Promise<Response> {
    const headers = new Headers(init.headers);
    if (token !== null) headers.set('Authorization', `Bearer ${token}`);
    else headers.delete('Authorization');
    return this.#fetch(url, { ...init, headers, credentials: init.credentials ?? 'include' });
  }

  async #tokenForRequest(): Promise<string | null> {
    if (this.#token !== null && !this.#expiringSoon()) return this.#token;
    if (this.#token === null && !this.#mayHaveCookie) return null;
    const before = this.#token;
    try {
      await this.#ensureFresh(before, before === null ? 'restore' : 'expiring');
    } catch (error) {
      // The server is unreachable or busy: a token that has not expired yet is still worth sending.
      if (before !== null && this.#token === before && this.#now() < this.#expiresAt!) return before;
      throw error;
    }
    return this.#token;
  }

  // ---- Refresh: one at a time per tab (a promise) and per browser (a Web Lock) --------------------------

  /** Makes sure the token is newer than `stale` and not about to expire, refreshing when it has to. */
  async #ensureFresh(stale: string | null, reason: RefreshReason): Promise<void> {
    if (this.#token !== null && this.#token !== stale && !this.#expiringSoon()) return;
    if (this.#token === null && !this.#mayHaveCookie) return;
    if (!this.#refreshing) {
      const from = this.#token;
      this.#refreshing = this.#withLock(true, () => this.#refreshUnderLock(from, reason)).finally(() => {
        this.#refreshing = null;
      });
    }
    await this.#refreshing;
  }

  async #refreshUnderLock(stale: string | null, reason: RefreshReason): Promise<void> {
    // Another tab may have refreshed while this one waited for the lock, and handed its token over.
    if (this.#token !== null && this.#token !== stale && !this.#expiringSoon()) return;
    const { method, path } = ENDPOINTS.refresh;
    const response = await this.#fetch(this.#url(path), {
      method,
      headers: { Accept: 'application/json' },
      credentials: 'include',
      signal: this.#timeoutSignal(),
    });
    if (response.status === 401) {
      // No session any more (logged out elsewhere, revoked, expired): every tab is logged out.
      const hadSession = this.#token !== null;
      this.#end('session-ended', 'this-tab', hadSession);
      return;
    }
    const body = await this.#read<TokenResponseDto>(response);
    this.#adopt(body.accessToken, this.#now() + body.expiresIn * 1000, body.expiresIn * 1000, body.user);
    this.#post({ v: 1, kind: 'refresh', reason, ...this.#tokenFields() });
    this.#emit({ type: 'refresh', user: body.user, expiresAt: this.#expiresAt!, reason, source: 'this-tab' });
  }

  /**
   * Runs `task` holding the browser-wide lock. When `waitForHandOver` and another tab held the lock, first
   * gives that tab's message a moment to arrive: it usually carries the token this tab was about to fetch.
   */
  async #withLock<T>(waitForHandOver: boolean, task: () => Promise<T>): Promise<T> {
    const locks = this.#locks;
    if (!locks) return task();
    const seenBefore = this.#messagesSeen;
    const NOT_AVAILABLE = Symbol('not available');
    const first = await locks.request<T | typeof NOT_AVAILABLE>(
      this.#lockName,
      { ifAvailable: true },
      (lock) => (lock === null ? Promise.resolve(NOT_AVAILABLE) : task()),
    );
    if (first !== NOT_AVAILABLE) return first;
    return locks.request(this.#lockName, {}, async () => {
      if (waitForHandOver && this.#messagesSeen === seenBefore) await this.#nextMessage(250);
      return task();
    });
  }

  #nextMessage(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.#timers.setTimeout(done, timeoutMs);
      const timers = this.#timers;
      function done(): void {
        timers.clearTimeout(handle);
        resolve();
      }
      this.#messageWaiters.push(done);
    });
  }

  // ---- State --------------------------------------------------------------------------------------------

  #adopt(token: string, expiresAt: number, lifetimeMs: number, user: UserDto): void {
    this.#token = token;
    this.#expiresAt = expiresAt;
    this.#lifetimeMs = lifetimeMs;
    this.#user = user;
    this.#mayHaveCookie = true;
    this.#schedule();
  }

  #end(reason: LogoutReason, source: EventSource, announce = true): void {
    const hadSession = this.#token !== null;
    this.#token = null;
    this.#expiresAt = null;
    this.#lifetimeMs = 0;
    this.#user = null;
    this.#mayHaveCookie = false;
    this.#cancelTimer();
    if (source === 'this-tab') this.#post({ v: 1, kind: 'logout', reason, sentAt: this.#now() });
    if (hadSession || announce) this.#emit({ type: 'logout', reason, source });
  }

  #tokenFields(): Omit<TokenMessage, 'v' | 'kind' | 'reason'> {
    return {
      accessToken: this.#token!,
      expiresAt: this.#expiresAt!,
      lifetimeMs: this.#lifetimeMs,
      user: this.#user!,
    };
  }

  #expiringSoon(): boolean {
    if (this.#token === null || this.#expiresAt === null) return true;
    const leeway = Math.min(this.#leewayMs, this.#lifetimeMs / 4);
    return this.#now() >= this.#expiresAt - leeway;
  }

  #schedule(): void {
    this.#cancelTimer();
    if (!this.#autoRefresh || this.#token === null || this.#expiresAt === null) return;
    const leeway = Math.min(this.#leewayMs, this.#lifetimeMs / 4);
    const delay = Math.max(0, this.#expiresAt - leeway - this.#now());
    this.#timer = this.#timers.setTimeout(() => this.#onTimer(), delay);
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#ensureFresh(this.#token, 'scheduled').catch(() => {
      // Unreachable or busy server: try again a little later while the token lasts; a 401 would have ended it.
      if (this.#token !== null && this.#timer === undefined) {
        this.#timer = this.#timers.setTimeout(() => this.#onTimer(), 5_000);
      }
    });
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  // ---- Other tabs -----------------------------------------------------------------------------------------

  #post(message: Message): void {
    this.#channel?.postMessage(message);
  }

  #onMessage(data: unknown): void {
    if (!isMessage(data)) return;
    this.#messagesSeen += 1;
    if (data.kind === 'logout') {
      // A logout older than this tab's own login (it waited for the lock behind it) is not about this session.
      if (data.sentAt >= this.#loggedInAt) this.#end(data.reason, 'other-tab', false);
    } else if (data.kind === 'login' || this.#expiresAt === null || data.expiresAt >= this.#expiresAt) {
      this.#adopt(data.accessToken, data.expiresAt, data.lifetimeMs, data.user);
      if (data.kind === 'login') {
        this.#loggedInAt = this.#now();
        this.#emit({ type: 'login', user: data.user, expiresAt: data.expiresAt, source: 'other-tab' });
      } else {
        const reason = data.reason ?? 'expiring';
        this.#emit({
          type: 'refresh',
          user: data.user,
          expiresAt: data.expiresAt,
          reason,
          source: 'other-tab',
        });
      }
    }
    const waiters = this.#messageWaiters.splice(0);
    for (const wake of waiters) wake();
  }

  // ---- Plumbing -------------------------------------------------------------------------------------------

  /**
   * The absolute URL of `path` on the API, or a `TypeError`. The URL is resolved here, as the browser would, and
   * must still be on the API's origin and under its `/api/`: the access token and the cookie are for the API only.
   */
  #url(path: string): string {
    if (!path.startsWith('/api/') || hasControlOrBackslash(path)) {
      throw new TypeError(NOT_AN_API_PATH);
    }
    const base = this.#apiBase();
    const prefix = base.pathname.replace(/\/+$/, '');
    const url = new URL(`${prefix}${path}`, base.origin);
    if (url.origin !== base.origin || !url.pathname.startsWith(`${prefix}/api/`)) {
      throw new TypeError(NOT_AN_API_PATH);
    }
    return url.href;
  }

  /** The `baseUrl` option read against the page, each time: a page's origin exists only in a browser. */
  #apiBase(): URL {
    const pageOrigin = (globalThis as unknown as BrowserGlobals).location?.origin;
    let base: URL;
    try {
      base = new URL(this.#baseUrl || '/', pageOrigin);
    } catch {
      throw new TypeError('the client needs a baseUrl when it does not run in a page');
    }
    if (!['http:', 'https:'].includes(base.protocol)) {
      throw new TypeError('the client needs an http(s) baseUrl');
    }
    return base;
  }

  #timeoutSignal(): AbortSignal | undefined {
    return typeof AbortSignal !== 'undefined' && typeof AbortSignal.timeout === 'function'
      ? AbortSignal.timeout(this.#requestTimeoutMs)
      : undefined;
  }

  async #read<T>(response: Response): Promise<T> {
    if (!response.ok) throw await ApiError.from(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  #emit(event: ClientEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener's mistake must not break the client.
      }
    }
  }
}
