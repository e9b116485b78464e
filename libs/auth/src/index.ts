export { AuthModule } from './auth.module';
export {
  AdminAuditEventDto,
  AdminAuditEventPageDto,
  AuditEventDto,
  AuditEventPageDto,
} from './activity/dto/audit-event.dto';
export { HistoryQueryDto } from './activity/dto/history-query.dto';
export { AccountChanges, ChangeScope, NO_CHANGE } from './changes/account-changes';
export type { AccountChange, ChangeProof } from './changes/account-changes';
export type { AccountChangeKind } from './changes/change-kinds';
export { AccountWrites } from './changes/account-writes';
export { keepAnAdministrator, lockAdministratorsFor } from './changes/last-administrator';
export { AccountDeletion } from './changes/account-deletion';
export { RefreshCookie } from './cookies/refresh-cookie';
export { RequireRecentSignIn } from './changes/recent-sign-in.guard';
export { RequestClient } from './decorators/request-client.decorator';
export {
  accessTokenHash,
  checkProof,
  DpopProofError,
  DPOP_ALGORITHMS,
  jwkThumbprint,
} from './dpop/dpop-proof';
export type { CheckedProof, ProofExpectations } from './dpop/dpop-proof';
export { DpopRefusal } from './dpop/dpop-refusal';
export { DpopVerifier } from './dpop/dpop-verifier';
export { SenderConstraint } from './dpop/sender-constraint';
export { AuthMeasurements } from './auth-measurements';
export { ApiResponseCodes, ErrorDto } from './decorators/api-errors.decorator';
export { CurrentCaller, CurrentUser } from './decorators/current-user.decorator';
export { AnyCredential, declaredScopes, defineScopes, RequiresScope } from './machine/scopes';
export { TokenEndpointError } from './machine/clients/token-endpoint-error';
export { FORM_MEDIA_TYPE, isFormMediaType, TOKEN_ENDPOINT } from './machine/clients/token-request';
export { ApiKeyVerdicts } from './machine/api-keys/api-key-verdicts';
export { Public } from './decorators/public.decorator';
export { documentPublicRoutes } from './decorators/document-public-routes';
export { RequireSecondFactor } from './mfa/require-second-factor';
export { Roles } from './decorators/roles.decorator';
export { JwtAuthGuard } from './guards/jwt-auth.guard';
export { InActiveOrg, NOT_ACTIVE, RequirePermission } from './orgs/active-org.guard';
export { RolesGuard } from './guards/roles.guard';
export { SameOriginGuard } from './guards/same-origin.guard';
export { SecurityEvents } from './security-events';
export { bearerToken, presentedToken } from './strategies/bearer-token';
export type { PresentedToken } from './strategies/bearer-token';
export type {
  RoutineEvent,
  SecurityEvent,
  SecurityEventFields,
  SecurityEventListener,
} from './security-events';
export { NoRateLimit, RateLimit } from './throttling/rate-limit.decorator';
export { RateLimitStorage } from './throttling/throttler-storage';
export { TokenService } from './tokens/token.service';
export type { ClientInfo } from './tokens/token.service';
export type { ActiveOrg, AuthMethod, AuthUser, MachineCredential } from './tokens/token-types';
export { InputValidationPipe, Nullable } from './validation/input-validation';
