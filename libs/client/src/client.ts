// The client's one public class: each method is a few lines over one route, so the file is long by its count of
// routes. The machinery lives beside it: transport.ts (where requests go), session.ts (the token, refresh and the
// other tabs), step-up.ts (a route that wants a recent sign-in), dpop.ts and dpop-key-store.ts (proofs of
// possession), endpoints.ts and errors.ts.
import type {
  AcceptedDto,
  AuditEventPageDto,
  AuthenticationCredentialDto,
  CreateNoteDto,
  CreateProjectDto,
  EmailCodeRequestDto,
  EmailCodeVerifyDto,
  IdentityDto,
  InvitationDto,
  InvitationTokenDto,
  InviteDto,
  LinkProviderDto,
  LinkUrlDto,
  LoginDto,
  MemberDto,
  MemberRoleDto,
  MfaRequiredDto,
  NoteDto,
  NotePageDto,
  OrgDto,
  OrgNameDto,
  PasskeyCreationOptionsDto,
  PasskeyDto,
  PasskeyRequestOptionsDto,
  ProjectDto,
  ProjectPageDto,
  ProviderDto,
  RecoveryCodesDto,
  RegisterDto,
  RegisterPasskeyDto,
  RegistrationCredentialDto,
  SessionDto,
  TokenResponseDto,
  TotpSetupDto,
  UpdateProjectDto,
  UserDto,
} from './api-types.js';
import { DpopProver, type DpopSupport, type WebCryptoLike } from './dpop.js';
import { IndexedDbKeyStore } from './dpop-key-store.js';
import { ENDPOINTS } from './endpoints.js';
import { bearerChallengeOf, INSUFFICIENT_USER_AUTHENTICATION } from './errors.js';
import type {
  ActiveOrganization,
  ActivityQuery,
  BrowserGlobals,
  ClientEvent,
  ClientState,
  GatehouseClientOptions,
  LoginResult,
  SecondFactor,
} from './options.js';
import { activeOrganizationOf, isMfaRequired, Session } from './session.js';
import { type ReauthProof, reauthenticationBody, StepUp } from './step-up.js';
import { type Endpoint, isWebUrl, pathSegment, readAnswer, Transport } from './transport.js';
import {
  type CredentialsContainerLike,
  credentialJson,
  jsonReadyPublicKeyCredential,
  type PublicKeyCredentialStatics,
} from './webauthn.js';

export type {
  CryptoKeyLike,
  DpopKeyPair,
  DpopKeyStore,
  DpopSupport,
  EcPublicJwk,
  SubtleCryptoLike,
  WebCryptoLike,
} from './dpop.js';
export type { IdbFactoryLike } from './dpop-key-store.js';
export { ENDPOINTS } from './endpoints.js';
export { ApiError, type BearerChallenge } from './errors.js';
export type * from './options.js';
export type { ReauthenticationHandler, ReauthenticationRequest, ReauthProof } from './step-up.js';
export type { CredentialsContainerLike, PublicKeyCredentialStatics } from './webauthn.js';

/** The proofs' key and crypto: the options', else the browser's; none where WebCrypto or IndexedDB are missing. */
function dpopProver(options: GatehouseClientOptions, name: string, now: () => number): DpopProver {
  if (options.dpop === false) return new DpopProver(null, null, now);
  const browser = globalThis as unknown as BrowserGlobals;
  const found = browser.crypto;
  const crypto =
    options.dpop?.crypto ?? (found?.subtle && found.getRandomValues ? (found as WebCryptoLike) : null);
  const store =
    options.dpop?.store ?? (browser.indexedDB ? new IndexedDbKeyStore(browser.indexedDB, name) : null);
  return new DpopProver(crypto, store, now);
}

/** A route under `/api/orgs/{id}/…` for the organization `orgId`. */
function orgPath(path: string, orgId: string): string {
  return path.replace('{id}', pathSegment(orgId));
}

/** Only the one field the caller chose goes on the wire. */
function secondFactorBody(factor: SecondFactor): SecondFactor {
  return 'code' in factor ? { code: factor.code } : { recoveryCode: factor.recoveryCode };
}

/**
 * A browser client for Gatehouse. The access token lives in this object only (a private field): never in
 * `localStorage`, `sessionStorage` or a cookie a script can read. The refresh token is an HttpOnly cookie the
 * browser sends to `/api/auth` by itself. One refresh runs at a time per browser (a Web Lock), and its result
 * is handed to the other tabs over a BroadcastChannel.
 */
export class GatehouseClient {
  readonly #transport: Transport;
  readonly #session: Session;
  readonly #stepUp: StepUp;
  readonly #credentials: CredentialsContainerLike | null;
  readonly #publicKeyCredential: PublicKeyCredentialStatics | null;

  constructor(options: GatehouseClientOptions = {}) {
    const browser = globalThis as unknown as BrowserGlobals;
    const name = options.name ?? 'gatehouse';
    const now = options.now ?? (() => Date.now());
    this.#transport = new Transport(
      options.baseUrl ?? '',
      options.fetch ?? ((url, init) => fetch(url, init)),
      options.requestTimeoutMs ?? 15_000,
      dpopProver(options, name, now),
      options.publicUrl,
    );
    this.#session = new Session({
      transport: this.#transport,
      leewayMs: (options.refreshLeewaySeconds ?? 30) * 1000,
      autoRefresh: options.autoRefresh ?? false,
      lockName: `${name}:refresh`,
      locks: options.locks !== undefined ? options.locks : (browser.navigator?.locks ?? null),
      channel:
        options.channel !== undefined
          ? options.channel
          : browser.BroadcastChannel
            ? new browser.BroadcastChannel(`${name}:session`)
            : null,
      now,
      timers: options.timers ?? {
        setTimeout: (callback, ms) => setTimeout(callback, ms),
        clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
      },
    });
    this.#stepUp = new StepUp({
      handler: options.onReauthenticationRequired,
      prove: (proof) => this.reauthenticate(proof),
      reauthentications: () => this.#session.reauthentications,
    });
    this.#credentials =
      options.credentials !== undefined ? options.credentials : (browser.navigator?.credentials ?? null);
    this.#publicKeyCredential =
      options.publicKeyCredential !== undefined
        ? options.publicKeyCredential
        : jsonReadyPublicKeyCredential(browser.PublicKeyCredential);
  }

  get state(): ClientState {
    return this.#session.state;
  }

  get isLoggedIn(): boolean {
    return this.#session.token !== null;
  }

  /**
   * True when the session is bound to this browser's DPoP key (RFC 9449): its access token goes as `DPoP` with a
   * proof by a key no script can export, so a copy of the token is useless anywhere else. False for a bearer
   * session, or when logged out.
   */
  get dpopBound(): boolean {
    return this.#session.state.tokenType === 'DPoP';
  }

  /**
   * Whether requests carry DPoP proofs: `pending` until the key is first needed, `ready`, `unavailable` (no
   * WebCrypto or IndexedDB here: bearer tokens), or `refused` (the server refused this page's proofs where it
   * needs none, e.g. its PUBLIC_URL is not where the page reaches it: bearer tokens).
   */
  get dpopSupport(): DpopSupport {
    return this.#transport.dpop.support;
  }

  /**
   * Loads (or, the first time in this browser profile, makes) the DPoP key and answers its RFC 7638 thumbprint,
   * or null where proofs are off. The client does this by itself when a request needs a proof; call it before
   * `oauthStartUrl()` so that the provider's sign-in comes back bound to the key.
   */
  async dpopThumbprint(): Promise<string | null> {
    return (await this.#transport.dpop.key())?.thumbprint ?? null;
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
    return this.#session.subscribe(listener);
  }

  /** Stops the timer and leaves the channel (for a single-page app tearing the client down). */
  close(): void {
    this.#session.close();
  }

  // ---- Authentication -------------------------------------------------------------------------------------

  register(input: RegisterDto): Promise<UserDto> {
    return this.#transport.withoutToken<UserDto>(ENDPOINTS.register, input);
  }

  /** Uses a `#verify-email=` link's token: the user's address is verified. */
  async verifyEmail(token: string): Promise<void> {
    await this.#transport.withoutToken<void>(ENDPOINTS.verifyEmail, { token });
  }

  /** Sends the signed-in user a fresh verification link (earlier ones stop working). */
  async resendVerification(): Promise<void> {
    const { method, path } = ENDPOINTS.resendVerification;
    await this.request<AcceptedDto>(method, path);
  }

  /** Asks for a reset link; the answer is the same whether or not the account exists. */
  async forgotPassword(email: string): Promise<void> {
    await this.#transport.withoutToken<AcceptedDto>(ENDPOINTS.forgotPassword, { email });
  }

  /** Uses a `#reset-password=` link's token to set a new password. Every session ends; log in again after. */
  async resetPassword(token: string, newPassword: string): Promise<void> {
    await this.#transport.withoutToken<void>(ENDPOINTS.resetPassword, { token, newPassword });
  }

  /** Asks to move the account to `newEmail`: a link goes there; nothing changes until it is used. */
  async changeEmail(newEmail: string, currentPassword: string): Promise<void> {
    const { method, path } = ENDPOINTS.changeEmail;
    await this.request<AcceptedDto>(method, path, { newEmail, currentPassword });
  }

  /** Uses a `#confirm-email=` link's token: the account moves to the new address; other sessions end. */
  async confirmEmail(token: string): Promise<void> {
    await this.#transport.withoutToken<void>(ENDPOINTS.confirmEmail, { token });
  }

  /**
   * Logs in: a new session in every tab of this browser, or, for an account with the second factor on, a
   * challenge to answer with `verifyMfa()` (nothing is signed in until then).
   */
  login(email: string, password: string): Promise<LoginResult> {
    return this.#firstFactor(ENDPOINTS.login, { email, password } satisfies LoginDto);
  }

  /**
   * Asks for a sign-in code by email: it resolves once the server has accepted the request, and says nothing of
   * whether the address is an account's (the answer is the same either way; a code is mailed only when it is, or
   * when the server lets codes create accounts). A new code ends the older one. An `ApiError` 400 for a malformed
   * address, 429 when too many were asked for.
   */
  async requestEmailCode(email: string): Promise<void> {
    await this.#transport.withoutToken<AcceptedDto>(ENDPOINTS.requestEmailCode, {
      email,
    } satisfies EmailCodeRequestDto);
  }

  /**
   * Signs in with the code from that mail, exactly as `login()` does with a password: a new session in every tab
   * of this browser (bound to its key when it has one), or, for an account with the second factor on, a challenge
   * to answer with `verifyMfa()`. The address counts as verified from then on. An `ApiError` 401 for a wrong,
   * used, expired or replaced code (the fifth try ends a code: ask for a new one), 403 for a disabled account,
   * 429 when too many were tried.
   */
  verifyEmailCode(email: string, code: string): Promise<LoginResult> {
    return this.#firstFactor(ENDPOINTS.verifyEmailCode, { email, code } satisfies EmailCodeVerifyDto);
  }

  /**
   * A sign-in with a first factor (a password, a mailed code): the session it starts, or the second factor's
   * challenge, with nothing signed in until it is answered.
   */
  async #firstFactor(endpoint: Endpoint, proof: LoginDto | EmailCodeVerifyDto): Promise<LoginResult> {
    const body = await this.#session.signIn<TokenResponseDto | MfaRequiredDto>(endpoint, proof);
    if (isMfaRequired(body)) {
      const { mfaToken, methods, expiresIn } = body;
      return { mfaRequired: true, mfaToken, methods, expiresIn };
    }
    return { mfaRequired: false, user: body.user };
  }

  /**
   * Answers the challenge of a login, a sign-in with a mailed code (or a provider sign-in's `#mfa=`) with a code
   * from the authenticator app or a recovery code: signed in exactly as after a login without one. An `ApiError` 401 for a wrong code or a dead
   * `mfaToken` (single-use, 5 minutes, 5 wrong codes); 429 when too many wrong codes were tried.
   */
  async verifyMfa(mfaToken: string, factor: SecondFactor): Promise<UserDto> {
    const body = await this.#session.signIn<TokenResponseDto>(ENDPOINTS.verifyMfa, {
      mfaToken,
      ...secondFactorBody(factor),
    });
    return body.user;
  }

  /**
   * Signs in with a passkey assertion (`PublicKeyCredential.toJSON()` of what `navigator.credentials.get()`
   * answered to `passkeyLoginOptions()`): a new session in every tab, as after a login. Never a second-factor
   * step: a passkey with user verification is two factors on its own. An `ApiError` 401 for an unknown passkey, a
   * bad signature, a used or expired challenge, or a disabled account.
   */
  async loginWithPasskey(credential: AuthenticationCredentialDto): Promise<UserDto> {
    const body = await this.#session.signIn<TokenResponseDto>(ENDPOINTS.loginWithPasskey, { credential });
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
  restore(): Promise<boolean> {
    return this.#session.restore();
  }

  /** Ends this session on the server and in every tab. Local state is cleared even if the server is not reached. */
  logout(): Promise<void> {
    return this.#session.logout();
  }

  /** Ends every session of the user, on every device. */
  async logoutAll(): Promise<void> {
    const { method, path } = ENDPOINTS.logoutAll;
    await this.request<void>(method, path);
    this.#session.end('logout-all', 'this-tab');
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
    if (id === current) this.#session.end('session-revoked', 'this-tab');
  }

  /**
   * A page of the signed-in user's own account history, newest first: sign-ins, changes to how the account is
   * entered, revoked sessions, refused attempts. `limit` events (1 to 100; the server's default is 20) older than
   * `before`, the `id` of the last event of the previous page; a page shorter than `limit` is the last one.
   */
  activity(query: ActivityQuery = {}): Promise<AuditEventPageDto> {
    const { method, path } = ENDPOINTS.activity;
    const params = new URLSearchParams();
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.before !== undefined) params.set('before', query.before);
    const search = params.toString();
    return this.request<AuditEventPageDto>(method, search ? `${path}?${search}` : path);
  }

  // ---- Other providers (OAuth 2.0, OpenID Connect) -------------------------------------------------------

  /** The providers the server is configured with, for their sign-in buttons. Needs no session. */
  providers(): Promise<ProviderDto[]> {
    return this.#transport.withoutToken<ProviderDto[]>(ENDPOINTS.providers);
  }

  /**
   * Where a "Sign in with …" link points: the server sends the browser on to the provider, and back to
   * `returnTo` (a path on the front end; the server puts anything else back to `/`) with a session, or to
   * `/?oauth_error=<code>`. A plain link, not a `fetch`: the page leaves for the provider. Sends nothing. Once
   * the DPoP key is loaded (`dpopThumbprint()`), the link carries its thumbprint (`dpop_jkt`, RFC 9449 §10) and
   * the session begins bound to it; without, it is bound at its first refresh.
   */
  oauthStartUrl(providerId: string, returnTo?: string): string {
    const path = ENDPOINTS.oauthStart.path.replace('{provider}', pathSegment(providerId));
    const query = new URLSearchParams();
    if (returnTo !== undefined) query.set('returnTo', returnTo);
    const thumbprint = this.#transport.dpop.thumbprint;
    if (thumbprint !== null) query.set('dpop_jkt', thumbprint);
    const search = query.toString();
    return this.#transport.url(search === '' ? path : `${path}?${search}`);
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
    return this.#transport.withoutToken<PasskeyRequestOptionsDto>(ENDPOINTS.passkeyLoginOptions);
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

  // ---- Organizations ---------------------------------------------------------------------------------------

  /**
   * The organization the access token acts in, read from its `org` claim: the caller's role there and its
   * permissions, for offering only what the server will allow. Null when none is active, or when logged out.
   * Every route under `/api/orgs/:id/…` wants `:id` to be this one (403 otherwise): see `switchOrganization()`.
   */
  activeOrganization(): ActiveOrganization | null {
    const token = this.#session.token;
    return token === null ? null : activeOrganizationOf(token);
  }

  /**
   * Makes `organizationId` the session's active organization (null: none), in every tab of this browser: a refresh
   * that names it, run one at a time with the client's other refreshes, whose access token replaces the old one
   * (a `refresh` event, reason `organization`). Answers the new `activeOrganization()`. An `ApiError` 403 for an
   * organization the user is not a member of, which leaves the session and its token as they were; 401 when the
   * session is over (it ends in every tab, as a refused refresh does).
   */
  async switchOrganization(organizationId: string | null): Promise<ActiveOrganization | null> {
    await this.#session.switchOrganization(organizationId);
    return this.activeOrganization();
  }

  /** The user's organizations, each with the user's role in it. */
  organizations(): Promise<OrgDto[]> {
    const { method, path } = ENDPOINTS.organizations;
    return this.request<OrgDto[]>(method, path);
  }

  /** A new organization, owned by the user; it is not made active (`switchOrganization()` does that). */
  createOrganization(name: string): Promise<OrgDto> {
    const { method, path } = ENDPOINTS.createOrganization;
    return this.request<OrgDto>(method, path, { name } satisfies OrgNameDto);
  }

  /** The members of the active organization `orgId`, oldest first. */
  members(orgId: string): Promise<MemberDto[]> {
    const { method, path } = ENDPOINTS.members;
    return this.request<MemberDto[]>(method, orgPath(path, orgId));
  }

  /** Needs `members:update`; only an owner makes or unmakes an owner, and the last owner stays one (409). */
  changeMemberRole(orgId: string, userId: string, role: MemberRoleDto['role']): Promise<MemberDto> {
    const { method, path } = ENDPOINTS.changeMemberRole;
    const body: MemberRoleDto = { role };
    return this.request<MemberDto>(
      method,
      orgPath(path, orgId).replace('{userId}', pathSegment(userId)),
      body,
    );
  }

  /**
   * Ends a membership: another member's with `members:remove`, or the user's own (leaving). The last owner cannot
   * go (409). After leaving the active organization, the next refresh answers a token without it.
   */
  async removeMember(orgId: string, userId: string): Promise<void> {
    const { method, path } = ENDPOINTS.removeMember;
    await this.request<void>(method, orgPath(path, orgId).replace('{userId}', pathSegment(userId)));
  }

  /**
   * Invites `email` to the active organization with `role` (`members:invite`; only an owner invites an owner): a
   * mail goes out with a `#invitation=` link. Inviting the address again replaces the older invitation; an
   * address that is a member's already is a 409.
   */
  invite(orgId: string, email: string, role: InvitationDto['role']): Promise<InvitationDto> {
    const { method, path } = ENDPOINTS.invite;
    return this.request<InvitationDto>(method, orgPath(path, orgId), { email, role } satisfies InviteDto);
  }

  /** The active organization's pending invitations, oldest first (`members:invite`). */
  invitations(orgId: string): Promise<InvitationDto[]> {
    const { method, path } = ENDPOINTS.invitations;
    return this.request<InvitationDto[]>(method, orgPath(path, orgId));
  }

  /** Withdraws a pending invitation: its link stops working. */
  async withdrawInvitation(orgId: string, invitationId: string): Promise<void> {
    const { method, path } = ENDPOINTS.withdrawInvitation;
    await this.request<void>(
      method,
      orgPath(path, orgId).replace('{invitationId}', pathSegment(invitationId)),
    );
  }

  /**
   * Uses a `#invitation=` link's token: the user joins the organization, whose membership comes back. An
   * `ApiError` 403 when the user's verified address is not the invited one (the invitation stays usable: verify
   * the address and try again), 409 for a member already, 404 for a dead link. It does not make it active.
   */
  acceptInvitation(token: string): Promise<OrgDto> {
    const { method, path } = ENDPOINTS.acceptInvitation;
    return this.request<OrgDto>(method, path, { token } satisfies InvitationTokenDto);
  }

  /** Declines a `#invitation=` link's invitation, which then stops working; the same 403 and 404 as accepting. */
  async declineInvitation(token: string): Promise<void> {
    const { method, path } = ENDPOINTS.declineInvitation;
    await this.request<void>(method, path, { token } satisfies InvitationTokenDto);
  }

  /** A page of the active organization's projects, newest first (`projects:read`). */
  projects(orgId: string, limit = 20, offset = 0): Promise<ProjectPageDto> {
    const { method, path } = ENDPOINTS.projects;
    return this.request<ProjectPageDto>(method, `${orgPath(path, orgId)}?limit=${limit}&offset=${offset}`);
  }

  /** A new project in the active organization (`projects:write`). */
  createProject(orgId: string, name: string): Promise<ProjectDto> {
    const { method, path } = ENDPOINTS.createProject;
    return this.request<ProjectDto>(method, orgPath(path, orgId), { name } satisfies CreateProjectDto);
  }

  renameProject(orgId: string, projectId: string, name: string): Promise<ProjectDto> {
    const { method, path } = ENDPOINTS.renameProject;
    return this.request<ProjectDto>(
      method,
      orgPath(path, orgId).replace('{projectId}', pathSegment(projectId)),
      { name } satisfies UpdateProjectDto,
    );
  }

  async deleteProject(orgId: string, projectId: string): Promise<void> {
    const { method, path } = ENDPOINTS.deleteProject;
    await this.request<void>(method, orgPath(path, orgId).replace('{projectId}', pathSegment(projectId)));
  }

  // ---- Proving it again (step-up, RFC 9470) -------------------------------------------------------------------

  /**
   * Proves who the user is again, for the routes that want a recent sign-in (or a second factor this session did
   * not pass): a new access token for the same session, with a fresh sign-in time, handed to the other tabs. The
   * cookie does not change. `{ passkey: true }` asks the browser for a passkey (`reauthenticateWithPasskey()`). An
   * `ApiError` 401 for a wrong proof, 429 when too many were tried.
   */
  async reauthenticate(proof: ReauthProof): Promise<UserDto> {
    if ('passkey' in proof) return this.reauthenticateWithPasskey();
    const { method, path } = ENDPOINTS.reauthenticate;
    const token = await this.#session.tokenForRequest();
    const init = this.#transport.jsonInit(
      method,
      reauthenticationBody(proof),
      this.#transport.timeoutSignal(),
    );
    // Not through apiFetch: a wrong proof's 401 must not refresh and send the proof a second time.
    const response = await this.#transport.send(this.#transport.url(path), init, token);
    const body = await readAnswer<TokenResponseDto>(response);
    this.#session.adoptReauthenticated(body);
    return body.user;
  }

  /** The options of a passkey proof, for `PublicKeyCredential.parseRequestOptionsFromJSON`: the user's passkeys. */
  reauthenticatePasskeyOptions(): Promise<PasskeyRequestOptionsDto> {
    const { method, path } = ENDPOINTS.reauthenticatePasskeyOptions;
    return this.request<PasskeyRequestOptionsDto>(method, path);
  }

  /**
   * Proves who the user is with one of their passkeys: the server's options, the browser's dialog
   * (`navigator.credentials.get`), then `reauthenticate({ credential })`. The browser's refusals come through as
   * they are (`NotAllowedError` when the user cancels); the server's as an `ApiError` 401.
   */
  async reauthenticateWithPasskey(): Promise<UserDto> {
    const { credentials, publicKeyCredential } = this.#webAuthn();
    const options = await this.reauthenticatePasskeyOptions();
    const credential = await credentials.get({
      publicKey: publicKeyCredential.parseRequestOptionsFromJSON(options),
    });
    return this.reauthenticate({ credential: credentialJson<AuthenticationCredentialDto>(credential) });
  }

  // ---- Calling the API ------------------------------------------------------------------------------------

  /** A JSON call through `apiFetch`: the parsed body, or an `ApiError` for a non-2xx answer. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init = this.#transport.jsonInit(method, body);
    return readAnswer<T>(await this.apiFetch(path, init));
  }

  /**
   * `fetch` for the API: `path` is a path on the API (`/api/...`); anything else is a `TypeError`, and nothing is
   * sent. Attaches the access token (as `DPoP` with a proof when the session is bound to this browser's key, else as
   * `Bearer`), refreshing it first when it is about to expire; on a `401`, refreshes once
   * and retries the request once. A `401` that wants a recent sign-in or a second factor
   * (`insufficient_user_authentication`) is never refreshed, which keeps the sign-in's time and factors: with
   * `onReauthenticationRequired` the client asks for a proof, sends it, and retries the request once; without it,
   * or when no proof comes, that `401` is returned. Whatever the retry answers is returned as it is: there is never
   * a loop. The body must be re-sendable (a string, `FormData`, `Blob`…, not a stream).
   */
  async apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
    const url = this.#transport.url(path);
    const token = await this.#session.tokenForRequest();
    let reauthentications = this.#session.reauthentications;
    let response = await this.#transport.send(url, init, token);
    if (response.status !== 401 || token === null) return response;
    let challenge = bearerChallengeOf(response);
    if (challenge?.error !== INSUFFICIENT_USER_AUTHENTICATION) {
      try {
        await this.#session.ensureFresh(token, 'unauthorized');
      } catch {
        return response;
      }
      const fresh = this.#session.token;
      if (fresh === null) return response;
      reauthentications = this.#session.reauthentications;
      response = await this.#transport.send(url, init, fresh);
      challenge = response.status === 401 ? bearerChallengeOf(response) : undefined;
      if (challenge?.error !== INSUFFICIENT_USER_AUTHENTICATION) return response;
    }
    // The token is fine; the route wants the user to prove who they are again.
    if (!(await this.#stepUp.cure(challenge, reauthentications))) return response;
    const renewed = this.#session.token;
    if (renewed === null) return response;
    return this.#transport.send(url, init, renewed);
  }
}
