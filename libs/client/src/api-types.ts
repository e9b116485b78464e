// Generated from the OpenAPI document (GET /api/docs-json) by `npm run client:types`: do not edit by hand.
// test/browser.e2e-spec.ts fails when this file and the document disagree.

export interface RegisterDto {
  email: string;
  /** PASSWORD_MIN_LENGTH (default 15) to 128 characters; refused when it is a common password */
  password: string;
  displayName?: string;
}

export interface UserDto {
  id: string;
  email: string;
  /** True once the user has proven they receive mail at this address */
  emailVerified: boolean;
  displayName: string | null;
  roles: string[];
  createdAt: string;
}

export interface ErrorDto {
  statusCode: number;
  message: string | string[];
  error: string;
}

export interface TokenResponseDto {
  /** A JWT (typ at+jwt) to send as `Authorization: Bearer …` (or `DPoP …` with a proof, for a bound session); keep it in memory only */
  accessToken: string;
  /** `DPoP` when the session is bound to the proof’s key */
  tokenType: 'Bearer' | 'DPoP';
  /** Seconds until the access token expires */
  expiresIn: number;
  user: UserDto;
  /** Only for a DPoP-bound native client that asked with `refreshTokenInBody: true`: the refresh token, which it sends back as `{refreshToken}` with a proof (no cookie is set) */
  refreshToken?: string;
}

export interface MfaRequiredDto {
  mfaRequired: true;
  /** Opaque, single-use, 5 minutes; accepted only by POST /api/auth/mfa/verify */
  mfaToken: string;
  methods: string[];
  /** Seconds until the mfaToken expires */
  expiresIn: number;
}

export interface LoginDto {
  email: string;
  /** the account password */
  password: string;
  /** A native client (no cookies) with a DPoP proof: answer the refresh token in the body instead of a cookie. Ignored for a request that looks like a browser’s, or without a proof. */
  refreshTokenInBody?: boolean;
}

export interface RefreshBodyDto {
  /** Only for a native client whose session is bound to a DPoP key (browsers use the cookie; a browser-like request’s body is ignored) */
  refreshToken?: string;
  /** Makes this organization the session’s active one (null: none); its access tokens carry `org: {id, role, permissions}`. Absent: the session keeps its choice */
  organizationId?: string | null;
}

export interface RefreshTokenBodyDto {
  /** Only for a native client whose session is bound to a DPoP key (browsers use the cookie; a browser-like request’s body is ignored) */
  refreshToken?: string;
}

export interface ChangePasswordDto {
  /** the password in use now */
  currentPassword: string;
  /** the new password: the same policy as at registration */
  newPassword: string;
}

export interface AssertionResponseJsonDto {
  /** The client data the authenticator signed over */
  clientDataJSON: string;
  /** The authenticator data */
  authenticatorData: string;
  /** The assertion signature */
  signature: string;
  /** The user handle */
  userHandle?: string | null;
}

export interface AuthenticationCredentialDto {
  /** The credential id */
  id: string;
  /** The credential id again (the raw id, encoded) */
  rawId: string;
  type: 'public-key';
  authenticatorAttachment?: 'platform' | 'cross-platform' | null;
  /** Extension outputs, as the browser gave them */
  clientExtensionResults: Record<string, unknown>;
  response: AssertionResponseJsonDto;
}

export interface ReauthenticateDto {
  /** The account password */
  password?: string;
  /** The 6-digit code the authenticator app shows */
  code?: string;
  /** One of the recovery codes */
  recoveryCode?: string;
  /** PublicKeyCredential.toJSON() of an assertion for the options of POST /api/auth/reauthenticate/passkey-options */
  credential?: AuthenticationCredentialDto;
}

export interface CredentialDescriptorDto {
  id: string;
  type: 'public-key';
  transports?: string[];
}

export interface PasskeyRequestOptionsDto {
  challenge: string;
  rpId: string;
  /** Milliseconds */
  timeout: number;
  userVerification: 'required';
  /** Empty: the browser offers the passkeys it holds for the site */
  allowCredentials?: CredentialDescriptorDto[];
  hints?: string[];
  extensions?: Record<string, unknown>;
}

export interface EmailTokenDto {
  /** The token from the link (after `#…=`) */
  token: string;
}

export interface AcceptedDto {
  status: string;
}

export interface ForgotPasswordDto {
  email: string;
}

export interface ResetPasswordDto {
  /** The token from the link (after `#…=`) */
  token: string;
  /** the new password: the same policy as at registration */
  newPassword: string;
  /** A code from the authenticator app, when the second factor is on */
  code?: string;
  /** A recovery code, instead of `code` */
  recoveryCode?: string;
}

export interface ChangeEmailDto {
  newEmail: string;
  /** the password in use now */
  currentPassword: string;
}

export interface SessionDto {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  /** When it ends unless refreshed before */
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
  /** True for the session of the access token making this request */
  current: boolean;
}

export interface AuditEventDto {
  /** Increasing with time: pass the last one as `before` for the next page */
  id: string;
  type: string;
  at: string;
  ip: string | null;
  userAgent: string | null;
  /** Ids and reasons (a session, a provider, why a sign-in failed); never a secret */
  details: Record<string, unknown>;
}

export interface AuditEventPageDto {
  /** Newest first */
  items: AuditEventDto[];
}

export interface ProviderDto {
  /** The `:provider` of the routes */
  id: string;
  /** What the button says */
  name: string;
}

export interface LinkProviderDto {
  /** A path on APP_URL to come back to (anything else becomes `/`) */
  returnTo?: string;
}

export interface LinkUrlDto {
  /** Open it in this browser (it carries the cookie this response set) to attach the provider's account */
  url: string;
}

export interface IdentityDto {
  id: string;
  provider: string;
  /** What the provider last said the address is */
  email: string | null;
  createdAt: string;
  lastUsedAt: string;
}

export interface TotpSetupDto {
  /** The base32 secret, for typing into the app by hand */
  secret: string;
  /** An otpauth:// URL (SHA1, 6 digits, 30 s) to show as a QR code */
  otpauthUrl: string;
}

export interface TotpCodeDto {
  /** The 6-digit code the authenticator app shows */
  code: string;
}

export interface RecoveryCodesDto {
  /** Ten single-use codes, shown this once */
  recoveryCodes: string[];
}

export interface SecondFactorDto {
  /** The 6-digit code the authenticator app shows */
  code?: string;
  /** One of the recovery codes, instead of `code` */
  recoveryCode?: string;
}

export interface VerifyMfaDto {
  /** The 6-digit code the authenticator app shows */
  code?: string;
  /** One of the recovery codes, instead of `code` */
  recoveryCode?: string;
  /** The mfaToken login answered */
  mfaToken: string;
  /** A native client (no cookies) with a DPoP proof: answer the refresh token in the body instead of a cookie. Ignored for a request that looks like a browser’s, or without a proof. */
  refreshTokenInBody?: boolean;
}

export interface RelyingPartyDto {
  id: string;
  name: string;
}

export interface WebAuthnUserDto {
  /** A random handle, never the account id or email */
  id: string;
  /** The email, shown by the authenticator */
  name: string;
  displayName: string;
}

export interface CredentialParameterDto {
  type: 'public-key';
  /** A COSE algorithm */
  alg: number;
}

export interface AuthenticatorSelectionDto {
  residentKey: 'required';
  requireResidentKey: boolean;
  userVerification: 'required';
}

export interface PasskeyCreationOptionsDto {
  challenge: string;
  rp: RelyingPartyDto;
  user: WebAuthnUserDto;
  pubKeyCredParams: CredentialParameterDto[];
  /** Milliseconds */
  timeout: number;
  /** The user's passkeys, not to be made again */
  excludeCredentials: CredentialDescriptorDto[];
  authenticatorSelection: AuthenticatorSelectionDto;
  attestation: 'none';
  extensions?: Record<string, unknown>;
  hints?: string[];
}

export interface AttestationResponseJsonDto {
  /** The client data the authenticator signed over */
  clientDataJSON: string;
  /** The attestation object (CBOR) */
  attestationObject: string;
  authenticatorData?: string;
  transports?: string[];
  /** The COSE algorithm of the new key */
  publicKeyAlgorithm?: number;
  /** The new public key (SPKI) */
  publicKey?: string;
}

export interface RegistrationCredentialDto {
  /** The credential id */
  id: string;
  /** The credential id again (the raw id, encoded) */
  rawId: string;
  type: 'public-key';
  authenticatorAttachment?: 'platform' | 'cross-platform' | null;
  /** Extension outputs, as the browser gave them */
  clientExtensionResults: Record<string, unknown>;
  response: AttestationResponseJsonDto;
}

export interface RegisterPasskeyDto {
  credential: RegistrationCredentialDto;
  /** What the list shows (default "Passkey") */
  name?: string;
}

export interface PasskeyDto {
  id: string;
  /** What the list shows, e.g. the device */
  name: string;
  createdAt: string;
  /** The last sign-in with it */
  lastUsedAt: string | null;
}

export interface RenamePasskeyDto {
  /** What the list shows, e.g. the device */
  name: string;
}

export interface PasskeyLoginDto {
  credential: AuthenticationCredentialDto;
  /** A native client (no cookies) with a DPoP proof: answer the refresh token in the body instead of a cookie. Ignored for a request that looks like a browser’s, or without a proof. */
  refreshTokenInBody?: boolean;
}

export interface ScopeDto {
  scope: string;
  description: string;
}

export interface PrincipalDto {
  kind: 'user' | 'apiKey' | 'client';
  /** null for a service client */
  userId: string | null;
  /** the service client's client_id, or the API key's id; null for a user's own session */
  clientId: string | null;
  /** what the credential may do; a user’s own session holds every scope */
  scopes: string[];
}

export interface CreateServiceClientDto {
  name: string;
  /** What the client may ask for; a token it gets holds these or fewer */
  scopes: string[];
}

export interface CreatedServiceClientDto {
  id: string;
  clientId: string;
  /** Shown this once; only its hash is kept */
  clientSecret: string;
  scopes: string[];
}

export interface ServiceClientDto {
  id: string;
  /** The client_id it authenticates with */
  clientId: string;
  name: string;
  /** The scopes it may ask for */
  scopes: string[];
  createdAt: string;
}

export interface ClientTokenRequestDto {
  grant_type: 'client_credentials';
  /** Space-separated scopes, each granted to the client; absent or empty: every scope it holds */
  scope?: string;
  /** client_secret_post only (otherwise HTTP Basic) */
  client_id?: string;
  /** client_secret_post only (otherwise HTTP Basic) */
  client_secret?: string;
}

export interface ClientTokenDto {
  /** An at+jwt access token whose sub and client_id are the client */
  access_token: string;
  /** DPoP when the request carried a valid DPoP proof */
  token_type: 'Bearer' | 'DPoP';
  /** Seconds until the token expires (CLIENT_TOKEN_TTL) */
  expires_in: number;
  /** The scopes granted, space-separated */
  scope: string;
}

export interface TokenErrorDto {
  error:
    | 'invalid_request'
    | 'invalid_client'
    | 'unsupported_grant_type'
    | 'invalid_scope'
    | 'invalid_dpop_proof'
    | 'use_dpop_nonce';
  error_description: string;
}

export interface AuthorizationServerMetadataDto {
  /** The `iss` of every token Gatehouse signs */
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  scopes_supported: string[];
  /** Absent with DPOP=off */
  dpop_signing_alg_values_supported?: string[];
  /** None: there is no authorization endpoint */
  response_types_supported: string[];
}

export interface CreateApiKeyDto {
  name: string;
  /** What the key may do; routes outside these scopes answer 403 */
  scopes: string[];
  /** Seconds until the key stops working; none: it does not expire */
  expiresIn?: number;
  /** Make the key in this organization (it must be your active one): the key acts within it, with your role there, and ends with your membership */
  organizationId?: string;
}

export interface CreatedApiKeyDto {
  id: string;
  name: string;
  /** The first characters of the key, to tell keys apart */
  prefix: string;
  scopes: string[];
  /** The organization the key acts within; absent: the key acts as you, in no organization */
  organizationId?: string;
  createdAt: string;
  /** null: the key does not expire */
  expiresAt: string | null;
  /** When the key was last used, to the minute */
  lastUsedAt: string | null;
  /** Shown this once */
  key: string;
}

export interface ApiKeyDto {
  id: string;
  name: string;
  /** The first characters of the key, to tell keys apart */
  prefix: string;
  scopes: string[];
  /** The organization the key acts within; absent: the key acts as you, in no organization */
  organizationId?: string;
  createdAt: string;
  /** null: the key does not expire */
  expiresAt: string | null;
  /** When the key was last used, to the minute */
  lastUsedAt: string | null;
}

export interface EmailCodeRequestDto {
  email: string;
}

export interface EmailCodeVerifyDto {
  email: string;
  /** The code from the mail; spaces and dashes between its digits are ignored */
  code: string;
  /** A native client (no cookies) with a DPoP proof: answer the refresh token in the body instead of a cookie. Ignored for a request that looks like a browser’s, or without a proof. */
  refreshTokenInBody?: boolean;
}

export interface UpdateMeDto {
  displayName: string | null;
}

export interface CreateNoteDto {
  title: string;
  body?: string;
}

export interface NoteDto {
  id: string;
  title: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface NotePageDto {
  items: NoteDto[];
  /** How many notes the caller has in all */
  total: number;
}

export interface UpdateNoteDto {
  title?: string;
  body?: string;
}

export interface OrgNameDto {
  name: string;
}

export interface OrgDto {
  id: string;
  name: string;
  createdAt: string;
  /** The caller's role */
  role: 'owner' | 'admin' | 'member';
}

export interface MemberDto {
  userId: string;
  email: string;
  role: 'owner' | 'admin' | 'member';
  joinedAt: string;
}

export interface MemberRoleDto {
  /** Only an owner makes or unmakes an owner */
  role: 'owner' | 'admin' | 'member';
}

export interface InviteDto {
  email: string;
  /** Only an owner may invite an owner */
  role: 'owner' | 'admin' | 'member';
}

export interface InviterDto {
  id: string;
  email: string;
}

export interface InvitationDto {
  id: string;
  /** The invited address */
  email: string;
  /** The role the invitation gives */
  role: 'owner' | 'admin' | 'member';
  createdAt: string;
  expiresAt: string;
  /** Who sent it; null once their account is gone */
  invitedBy: InviterDto | null;
}

export interface InvitationTokenDto {
  /** The token from the link (after `#invitation=`) */
  token: string;
}

export interface CreateProjectDto {
  name: string;
}

export interface ProjectDto {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

export interface ProjectPageDto {
  items: ProjectDto[];
  /** How many projects the organization has in all */
  total: number;
}

export interface UpdateProjectDto {
  name?: string;
}

export interface AdminUserDto {
  id: string;
  email: string;
  /** True once the user has proven they receive mail at this address */
  emailVerified: boolean;
  displayName: string | null;
  roles: string[];
  createdAt: string;
  /** True when the account may not log in */
  disabled: boolean;
}

export interface AdminUserPageDto {
  items: AdminUserDto[];
  total: number;
}

export interface AdminAuditEventDto {
  /** Increasing with time: pass the last one as `before` for the next page */
  id: string;
  type: string;
  at: string;
  ip: string | null;
  userAgent: string | null;
  /** Ids and reasons (a session, a provider, why a sign-in failed); never a secret */
  details: Record<string, unknown>;
  userId: string | null;
}

export interface AdminAuditEventPageDto {
  /** Newest first */
  items: AdminAuditEventDto[];
}

export interface CreateWebhookEndpointDto {
  /** Where deliveries are POSTed: an absolute http(s) URL without credentials; https in production */
  url: string;
  /** The events delivered to it, each once */
  events: Array<
    | 'user.created'
    | 'user.updated'
    | 'user.deleted'
    | 'user.disabled'
    | 'user.enabled'
    | 'session.revoked'
    | 'org.member_added'
    | 'org.member_removed'
  >;
}

export interface CreatedWebhookEndpointDto {
  id: string;
  url: string;
  events: Array<
    | 'user.created'
    | 'user.updated'
    | 'user.deleted'
    | 'user.disabled'
    | 'user.enabled'
    | 'session.revoked'
    | 'org.member_added'
    | 'org.member_removed'
  >;
  /** The signing secret (Standard Webhooks): shown this once */
  secret: string;
}

export interface WebhookEndpointDto {
  id: string;
  url: string;
  events: Array<
    | 'user.created'
    | 'user.updated'
    | 'user.deleted'
    | 'user.disabled'
    | 'user.enabled'
    | 'session.revoked'
    | 'org.member_added'
    | 'org.member_removed'
  >;
  createdAt: string;
}

export interface WebhookEndpointPageDto {
  items: WebhookEndpointDto[];
}
