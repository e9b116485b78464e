/**
 * The routes the client calls, with the OpenAPI schema of what goes in and comes out. Each method of
 * `GatehouseClient` uses its entry, and test/browser.e2e-spec.ts checks every entry against the live OpenAPI
 * document.
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
  // The body is for native clients (a bound session's refresh token); the browser's goes in the cookie.
  refresh: {
    method: 'POST',
    path: '/api/auth/refresh',
    body: 'RefreshTokenBodyDto',
    response: 'TokenResponseDto',
  },
  logout: { method: 'POST', path: '/api/auth/logout', body: 'RefreshTokenBodyDto', response: null },
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
  reauthenticate: {
    method: 'POST',
    path: '/api/auth/reauthenticate',
    body: 'ReauthenticateDto',
    response: 'TokenResponseDto',
  },
  reauthenticatePasskeyOptions: {
    method: 'POST',
    path: '/api/auth/reauthenticate/passkey-options',
    body: null,
    response: 'PasskeyRequestOptionsDto',
  },
} as const;
