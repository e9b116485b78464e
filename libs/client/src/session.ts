// One class past 400 lines, for a reason: the token, its refreshes (plain, and switching the organization) and the
// other tabs' hand-over share the same private state and the same single flight; split, that state would leak.
import type { MfaRequiredDto, RefreshBodyDto, TokenResponseDto, UserDto } from './api-types.js';
import { isDpopBound, jwtClaims } from './encoding.js';
import { ENDPOINTS } from './endpoints.js';
import { ApiError } from './errors.js';
import type {
  ActiveOrganization,
  ChannelLike,
  ClientEvent,
  ClientState,
  EventSource,
  LockManagerLike,
  LogoutReason,
  RefreshReason,
  TimersLike,
} from './options.js';
import { type Endpoint, readAnswer, type Transport } from './transport.js';

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

export function isMfaRequired(body: TokenResponseDto | MfaRequiredDto): body is MfaRequiredDto {
  return (body as MfaRequiredDto).mfaRequired === true;
}

/** The session (`sid`) of an access token: the server verifies the token, the client only needs the id. */
function sessionIdOf(token: string): string | null {
  const { sid } = jwtClaims(token);
  return typeof sid === 'string' ? sid : null;
}

/** The active organization an access token carries (`org`), or null when it carries none or something else. */
export function activeOrganizationOf(token: string): ActiveOrganization | null {
  const { org } = jwtClaims(token);
  if (typeof org !== 'object' || org === null) return null;
  const { id, role, permissions } = org as Record<string, unknown>;
  if (typeof id !== 'string' || typeof role !== 'string' || !Array.isArray(permissions)) return null;
  return { id, role, permissions: permissions.filter((name): name is string => typeof name === 'string') };
}

export interface SessionOptions {
  transport: Transport;
  leewayMs: number;
  autoRefresh: boolean;
  lockName: string;
  locks: LockManagerLike | null;
  channel: ChannelLike | null;
  now: () => number;
  timers: TimersLike;
}

/**
 * The browser's session as this tab holds it: the access token (in memory only), its refresh (one at a time per
 * tab with a promise, per browser with a Web Lock), and the hand-over of tokens and logouts to the other tabs over
 * a BroadcastChannel. The client owns one, privately; nothing here is part of the package's surface.
 */
export class Session {
  #token: string | null = null;
  #expiresAt: number | null = null;
  #lifetimeMs = 0;
  #user: UserDto | null = null;
  #loggedInAt = 0;
  /** False once the server said there is no session (or we logged out): no refresh is tried until a login. */
  #mayHaveCookie = true;
  #refreshing: Promise<void> | null = null;
  /** A switch of the active organization under way: a refresh too, so the others wait for it. Never rejects. */
  #switching: Promise<void> | null = null;
  #timer: unknown = undefined;
  #messagesSeen = 0;
  #messageWaiters: (() => void)[] = [];
  /** Counts the tokens a proof renewed (`reauthenticate`, here or in another tab). */
  #reauthentications = 0;
  readonly #listeners = new Set<(event: ClientEvent) => void>();
  readonly #options: SessionOptions;

  constructor(options: SessionOptions) {
    this.#options = options;
    options.channel?.addEventListener('message', (event) => this.#onMessage(event.data));
  }

  get token(): string | null {
    return this.#token;
  }

  get reauthentications(): number {
    return this.#reauthentications;
  }

  get state(): ClientState {
    return {
      user: this.#user,
      expiresAt: this.#expiresAt,
      sessionId: this.#token === null ? null : sessionIdOf(this.#token),
      tokenType: this.#token === null ? null : isDpopBound(this.#token) ? 'DPoP' : 'Bearer',
    };
  }

  subscribe(listener: (event: ClientEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#cancelTimer();
    this.#options.channel?.close();
  }

  /** The token to send now: refreshed first when it is about to expire, or `null` when there is no session. */
  async tokenForRequest(): Promise<string | null> {
    if (this.#token !== null && !this.#expiringSoon()) return this.#token;
    if (this.#token === null && !this.#mayHaveCookie) return null;
    const before = this.#token;
    try {
      await this.ensureFresh(before, before === null ? 'restore' : 'expiring');
    } catch (error) {
      // The server is unreachable or busy: a token that has not expired yet is still worth sending.
      if (before !== null && this.#token === before && this.#options.now() < this.#expiresAt!) return before;
      throw error;
    }
    return this.#token;
  }

  /** After a page load: the session back from the refresh cookie alone. True when logged in. */
  async restore(): Promise<boolean> {
    if (this.#token !== null && !this.#expiringSoon()) return true;
    this.#mayHaveCookie = true;
    await this.ensureFresh(this.#token, 'restore');
    return this.#token !== null;
  }

  /** A sign-in call under the lock; a token in the answer becomes this browser's session, announced to every tab. */
  async signIn<T extends TokenResponseDto | MfaRequiredDto>(
    endpoint: Endpoint,
    payload: unknown,
  ): Promise<T> {
    const { transport } = this.#options;
    return this.#withLock(false, async () => {
      const init = transport.jsonInit(endpoint.method, payload, transport.timeoutSignal());
      const body = await readAnswer<T>(await transport.sendForSession(transport.url(endpoint.path), init));
      if (isMfaRequired(body)) return body;
      this.#adopt(body.accessToken, body.expiresIn, body.user);
      this.#loggedInAt = this.#options.now();
      this.#post({ v: 1, kind: 'login', ...this.#tokenFields() });
      this.#emit({ type: 'login', user: body.user, expiresAt: this.#expiresAt!, source: 'this-tab' });
      return body;
    });
  }

  /** Keeps the token a proof renewed (same session, fresh sign-in time), and hands it to the other tabs. */
  adoptReauthenticated(body: TokenResponseDto): void {
    const reason: RefreshReason = 'reauthenticated';
    this.#adopt(body.accessToken, body.expiresIn, body.user);
    this.#reauthentications += 1;
    this.#post({ v: 1, kind: 'refresh', reason, ...this.#tokenFields() });
    this.#emit({ type: 'refresh', user: body.user, expiresAt: this.#expiresAt!, reason, source: 'this-tab' });
  }

  /** Ends this session on the server and in every tab. Local state is cleared even if the server is not reached. */
  async logout(): Promise<void> {
    const { transport } = this.#options;
    const { method, path } = ENDPOINTS.logout;
    await this.#withLock(false, async () => {
      const response = await transport
        .sendForSession(transport.url(path), {
          method,
          credentials: 'include',
          signal: transport.timeoutSignal(),
        })
        .finally(() => this.end('logout', 'this-tab'));
      if (!response.ok) throw await ApiError.from(response);
    });
  }

  end(reason: LogoutReason, source: EventSource, announce = true): void {
    const hadSession = this.#token !== null;
    this.#token = null;
    this.#expiresAt = null;
    this.#lifetimeMs = 0;
    this.#user = null;
    this.#mayHaveCookie = false;
    this.#cancelTimer();
    if (source === 'this-tab') this.#post({ v: 1, kind: 'logout', reason, sentAt: this.#options.now() });
    if (hadSession || announce) this.#emit({ type: 'logout', reason, source });
  }

  // ---- Refresh: one at a time per tab (a promise) and per browser (a Web Lock) --------------------------

  /** Makes sure the token is newer than `stale` and not about to expire, refreshing when it has to. */
  async ensureFresh(stale: string | null, reason: RefreshReason): Promise<void> {
    // A switch renews the token too; when it was refused, the checks below still refresh if they must.
    while (this.#switching) await this.#switching;
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
    const response = await this.#sendRefresh();
    if (response.status === 401) {
      this.#sessionEnded();
      return;
    }
    this.#adoptRefreshed(await readAnswer<TokenResponseDto>(response), reason);
  }

  /**
   * Makes `organizationId` the session's active organization (null: none): a refresh whose body names it, one at
   * a time with every other refresh of this tab and of the browser, whose new access token (with its `org` claim)
   * replaces the old one here and in the other tabs. A refusal (403 not a member, 400) leaves the session as it
   * was and comes back as an `ApiError`; a 401 means the session is over, in every tab, and comes back too.
   */
  async switchOrganization(organizationId: string | null): Promise<void> {
    // After the refresh or switch running now: it rotates the cookie this one sends.
    while (this.#refreshing || this.#switching) {
      await (this.#refreshing ?? this.#switching)!.catch(() => undefined);
    }
    const switched = this.#withLock(false, () => this.#switchUnderLock(organizationId));
    const settled = switched.then(
      () => undefined,
      () => undefined,
    );
    this.#switching = settled;
    void settled.then(() => {
      if (this.#switching === settled) this.#switching = null;
    });
    await switched;
  }

  async #switchUnderLock(organizationId: string | null): Promise<void> {
    const body: RefreshBodyDto = { organizationId };
    const response = await this.#sendRefresh(body);
    if (response.status === 401) {
      const refusal = await ApiError.from(response);
      this.#sessionEnded();
      throw refusal;
    }
    this.#adoptRefreshed(await readAnswer<TokenResponseDto>(response), 'organization');
  }

  /**
   * `POST /api/auth/refresh`: the refresh token goes in the HttpOnly cookie, never in the body (which the server
   * reads only from native clients); a DPoP proof goes with it when this browser has a key.
   */
  #sendRefresh(body?: RefreshBodyDto): Promise<Response> {
    const { transport } = this.#options;
    const { method, path } = ENDPOINTS.refresh;
    return transport.sendForSession(
      transport.url(path),
      transport.jsonInit(method, body, transport.timeoutSignal()),
    );
  }

  /** No session any more (logged out elsewhere, revoked, expired): every tab is logged out. */
  #sessionEnded(): void {
    this.end('session-ended', 'this-tab', this.#token !== null);
  }

  #adoptRefreshed(body: TokenResponseDto, reason: RefreshReason): void {
    this.#adopt(body.accessToken, body.expiresIn, body.user);
    this.#post({ v: 1, kind: 'refresh', reason, ...this.#tokenFields() });
    this.#emit({ type: 'refresh', user: body.user, expiresAt: this.#expiresAt!, reason, source: 'this-tab' });
  }

  /**
   * Runs `task` holding the browser-wide lock. When `waitForHandOver` and another tab held the lock, first
   * gives that tab's message a moment to arrive: it usually carries the token this tab was about to fetch.
   */
  async #withLock<T>(waitForHandOver: boolean, task: () => Promise<T>): Promise<T> {
    const { locks, lockName } = this.#options;
    if (!locks) return task();
    const seenBefore = this.#messagesSeen;
    const NOT_AVAILABLE = Symbol('not available');
    const first = await locks.request<T | typeof NOT_AVAILABLE>(lockName, { ifAvailable: true }, (lock) =>
      lock === null ? Promise.resolve(NOT_AVAILABLE) : task(),
    );
    if (first !== NOT_AVAILABLE) return first;
    return locks.request(lockName, {}, async () => {
      if (waitForHandOver && this.#messagesSeen === seenBefore) await this.#nextMessage(250);
      return task();
    });
  }

  #nextMessage(timeoutMs: number): Promise<void> {
    const { timers } = this.#options;
    return new Promise((resolve) => {
      const handle = timers.setTimeout(done, timeoutMs);
      function done(): void {
        timers.clearTimeout(handle);
        resolve();
      }
      this.#messageWaiters.push(done);
    });
  }

  // ---- State --------------------------------------------------------------------------------------------

  #adopt(token: string, expiresInSeconds: number, user: UserDto): void {
    const lifetimeMs = expiresInSeconds * 1000;
    this.#setToken(token, this.#options.now() + lifetimeMs, lifetimeMs, user);
  }

  #setToken(token: string, expiresAt: number, lifetimeMs: number, user: UserDto): void {
    this.#token = token;
    this.#expiresAt = expiresAt;
    this.#lifetimeMs = lifetimeMs;
    this.#user = user;
    this.#mayHaveCookie = true;
    this.#schedule();
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
    const leeway = Math.min(this.#options.leewayMs, this.#lifetimeMs / 4);
    return this.#options.now() >= this.#expiresAt - leeway;
  }

  #schedule(): void {
    this.#cancelTimer();
    if (!this.#options.autoRefresh || this.#token === null || this.#expiresAt === null) return;
    const leeway = Math.min(this.#options.leewayMs, this.#lifetimeMs / 4);
    const delay = Math.max(0, this.#expiresAt - leeway - this.#options.now());
    this.#timer = this.#options.timers.setTimeout(() => this.#onTimer(), delay);
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.ensureFresh(this.#token, 'scheduled').catch(() => {
      // Unreachable or busy server: try again a little later while the token lasts; a 401 would have ended it.
      if (this.#token !== null && this.#timer === undefined) {
        this.#timer = this.#options.timers.setTimeout(() => this.#onTimer(), 5_000);
      }
    });
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) this.#options.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  // ---- Other tabs -----------------------------------------------------------------------------------------

  #post(message: Message): void {
    this.#options.channel?.postMessage(message);
  }

  #onMessage(data: unknown): void {
    if (!isMessage(data)) return;
    this.#messagesSeen += 1;
    if (data.kind === 'logout') {
      // A logout older than this tab's own login (it waited for the lock behind it) is not about this session.
      if (data.sentAt >= this.#loggedInAt) this.end(data.reason, 'other-tab', false);
    } else if (data.kind === 'login' || this.#expiresAt === null || data.expiresAt >= this.#expiresAt) {
      this.#setToken(data.accessToken, data.expiresAt, data.lifetimeMs, data.user);
      if (data.kind === 'login') {
        this.#loggedInAt = this.#options.now();
        this.#emit({ type: 'login', user: data.user, expiresAt: data.expiresAt, source: 'other-tab' });
      } else {
        const reason = data.reason ?? 'expiring';
        if (reason === 'reauthenticated') this.#reauthentications += 1;
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
