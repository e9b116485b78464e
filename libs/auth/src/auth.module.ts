import { AuditModule } from '@gatehouse/audit';
import { AppConfig } from '@gatehouse/config';
import { MailModule } from '@gatehouse/mail';
import { OrgsModule } from '@gatehouse/orgs';
import { ActiveOrgGuard } from './orgs/active-org.guard';
import { UsersModule } from '@gatehouse/users';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthController } from './auth.controller';
import { AccountChanges } from './changes/account-changes';
import { authUserData } from './changes/account-data';
import { AccountDeletion } from './changes/account-deletion';
import { AccountWrites } from './changes/account-writes';
import { AfterAnswer } from './after-answer';
import { authOneTimeRecords } from './one-time-records';
import { DpopNonces } from './dpop/dpop-nonces';
import { emailCodeWayIn } from './email-code/email-code-way-in';
import { DpopProofGuard } from './dpop/dpop-proof.guard';
import { DpopVerifier } from './dpop/dpop-verifier';
import { ProofReplayCache } from './dpop/proof-replay-cache';
import { SenderConstraint } from './dpop/sender-constraint';
import { ReauthenticationController } from './changes/reauthentication.controller';
import { ReauthenticationService } from './changes/reauthentication.service';
import { RecentSignInGuard } from './changes/recent-sign-in.guard';
import { AuthMeasurements } from './auth-measurements';
import { AuthService } from './auth.service';
import { DeviceCookie } from './cookies/device-cookie';
import { RefreshCookie } from './cookies/refresh-cookie';
import { KnownDevice } from './devices/entities/known-device.entity';
import { KnownDevices } from './devices/known-devices';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { RolesGuard } from './guards/roles.guard';
import { VerifiedTokenCache } from './guards/verified-token-cache';
import { JwksController } from './jwks.controller';
import { KeyService } from './keys/key.service';
import { EmailTokens } from './recovery/email-tokens';
import { EmailToken } from './recovery/entities/email-token.entity';
import { EmailChangeController, RecoveryController } from './recovery/recovery.controller';
import { RecoveryService } from './recovery/recovery.service';
import { RevocationSync } from './revocation/revocation-sync';
import { RevocationService } from './revocation/revocation.service';
import { SecurityEvents } from './security-events';
import { SessionsController } from './sessions.controller';
import { ActivityController } from './activity/activity.controller';
import { MfaChallenge } from './mfa/entities/mfa-challenge.entity';
import { MfaFailure } from './mfa/entities/mfa-failure.entity';
import { RecoveryCode } from './mfa/entities/recovery-code.entity';
import { TotpFactor } from './mfa/entities/totp-factor.entity';
import { MfaChallenges } from './mfa/mfa-challenges';
import { MfaController } from './mfa/mfa.controller';
import { MfaSecrets } from './mfa/mfa-secrets';
import { MfaService } from './mfa/mfa.service';
import { RecoveryCodes } from './mfa/recovery-codes';
import { SecondFactorGuard } from './mfa/require-second-factor';
import { SecondFactorCheck } from './mfa/second-factor-check';
import { TotpAuthenticator } from './mfa/totp-authenticator';
import { Passkey } from './passkeys/entities/passkey.entity';
import { WebAuthnChallenge } from './passkeys/entities/webauthn-challenge.entity';
import { WebAuthnUser } from './passkeys/entities/webauthn-user.entity';
import { PasskeyChallenges } from './passkeys/passkey-challenges';
import { PasskeyStore } from './passkeys/passkey-store';
import { PasskeysController } from './passkeys/passkeys.controller';
import { PasskeysService } from './passkeys/passkeys.service';
import { SignInResponse } from './sign-in/sign-in-response';
import { SignInMethods } from './sign-in/ways-in';
import { OAuthTransaction } from './oauth/entities/oauth-transaction.entity';
import { UserIdentity } from './oauth/entities/user-identity.entity';
import { Identities } from './oauth/identities';
import { LoginTransactions } from './oauth/login-transactions';
import { IdentitiesController, OAuthController } from './oauth/oauth.controller';
import { OAuthService } from './oauth/oauth.service';
import { SignInProviders } from './oauth/sign-in-providers';
import { TransactionCookie } from './oauth/transaction-cookie';
import { AccessTokenStrategy } from './strategies/access-token.strategy';
import { LocalStrategy } from './strategies/local.strategy';
import { RefreshToken } from './tokens/entities/refresh-token.entity';
import { RevokedSession } from './tokens/entities/revoked-session.entity';
import { Session } from './tokens/entities/session.entity';
import { SessionCleaner } from './tokens/session-cleaner';
import { TokenService } from './tokens/token.service';
import { SignInService } from './sign-in/sign-in.service';
import { AuthThrottlerGuard } from './throttling/auth-throttler.guard';
import { AccountAttempts } from './throttling/account-attempts';
import { RateLimitStorageModule } from './throttling/rate-limit-storage.module';
import { RateLimitStorage } from './throttling/throttler-storage';
import { throttlerOptions } from './throttling/throttlers';
import { TokenSigner } from './tokens/token-signer';
import { PrincipalController } from './machine/principal.controller';
import { ScopeGuard } from './machine/scope.guard';
import { ApiKeyAuthenticator } from './machine/api-keys/api-key-authenticator';
import { ApiKeyUsage } from './machine/api-keys/api-key-usage';
import { ApiKeyVerdicts } from './machine/api-keys/api-key-verdicts';
import { ApiKeysController } from './machine/api-keys/api-keys.controller';
import { ApiKeys } from './machine/api-keys/api-keys.service';
import { ApiKey } from './machine/entities/api-key.entity';
import { ServiceClient } from './machine/entities/service-client.entity';
import { AuthorizationServerMetadataController } from './machine/clients/authorization-server-metadata.controller';
import { ClientCredentialsGrant } from './machine/clients/client-credentials-grant';
import { ServiceClientsController } from './machine/clients/service-clients.controller';
import { ServiceClients } from './machine/clients/service-clients.service';
import { TokenController } from './machine/clients/token.controller';

/**
 * Everything about who is calling: login, tokens, sessions, revocation. Importing it protects every route of the
 * app (a global guard); `@Public()` opts a route out and `@Roles()` narrows it. Every public route is rate
 * limited unless it says `@NoRateLimit()`.
 */
@Module({
  imports: [
    UsersModule,
    MailModule,
    OrgsModule,
    AuditModule,
    PassportModule,
    RateLimitStorageModule,
    TypeOrmModule.forFeature([
      Session,
      RevokedSession,
      RefreshToken,
      EmailToken,
      UserIdentity,
      OAuthTransaction,
      TotpFactor,
      RecoveryCode,
      MfaChallenge,
      MfaFailure,
      WebAuthnUser,
      Passkey,
      WebAuthnChallenge,
      ApiKey,
      ServiceClient,
      KnownDevice,
      ...emailCodeWayIn.entities,
    ]),
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [AppConfig, RateLimitStorage],
      useFactory: throttlerOptions,
    }),
  ],
  controllers: [
    AuthController,
    ReauthenticationController,
    RecoveryController,
    EmailChangeController,
    SessionsController,
    ActivityController,
    OAuthController,
    IdentitiesController,
    MfaController,
    PasskeysController,
    JwksController,
    PrincipalController,
    ServiceClientsController,
    TokenController,
    AuthorizationServerMetadataController,
    ApiKeysController,
    ...emailCodeWayIn.controllers,
  ],
  providers: [
    AuthService,
    AccountDeletion,
    // What libs/auth stores about a user, for deletion and export; and what it keeps only for a while.
    authUserData,
    authOneTimeRecords,
    ApiKeys,
    ApiKeyAuthenticator,
    ApiKeyUsage,
    ApiKeyVerdicts,
    AccountChanges,
    AccountWrites,
    ReauthenticationService,
    DpopNonces,
    DpopProofGuard,
    DpopVerifier,
    ProofReplayCache,
    SenderConstraint,
    SignInService,
    KnownDevices,
    RecoveryService,
    EmailTokens,
    OAuthService,
    MfaService,
    MfaSecrets,
    MfaChallenges,
    TotpAuthenticator,
    RecoveryCodes,
    SecondFactorCheck,
    SignInResponse,
    SignInMethods,
    PasskeysService,
    PasskeyStore,
    PasskeyChallenges,
    SignInProviders,
    LoginTransactions,
    Identities,
    TransactionCookie,
    AccountAttempts,
    KeyService,
    TokenSigner,
    TokenService,
    SessionCleaner,
    RevocationService,
    RevocationSync,
    ServiceClients,
    ClientCredentialsGrant,
    SecurityEvents,
    VerifiedTokenCache,
    AuthMeasurements,
    RefreshCookie,
    DeviceCookie,
    LocalStrategy,
    AccessTokenStrategy,
    ...emailCodeWayIn.providers,
    AfterAnswer,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    // Before any other check: an API key or a service client may reach only the routes that name its scope.
    { provide: APP_GUARD, useClass: ScopeGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
    { provide: APP_GUARD, useClass: ActiveOrgGuard },
    { provide: APP_GUARD, useClass: SecondFactorGuard },
    { provide: APP_GUARD, useClass: RecentSignInGuard },
    // After the bearer check: a route's limits then see who is calling. Public routes are throttled by default.
    { provide: APP_GUARD, useClass: AuthThrottlerGuard },
  ],
  exports: [
    AccountChanges,
    AccountDeletion,
    RefreshCookie,
    ApiKeyVerdicts,
    AccountWrites,
    TokenService,
    SecurityEvents,
    RevocationService,
    RateLimitStorageModule,
    AuthMeasurements,
  ],
})
export class AuthModule {}
