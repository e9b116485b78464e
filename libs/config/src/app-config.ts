import type { DpopSettings } from './dpop-config';
import type { OAuthProviderSettings } from './oauth-config';
import type { WebAuthnSettings } from './webauthn-config';

export type SameSite = 'strict' | 'lax' | 'none';
export type TrustProxy = boolean | number | string[];
export type LogFormat = 'pretty' | 'json';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type NodeEnv = 'development' | 'test' | 'production';

/** A PEM given inline (`X`) or as a file path (`X_FILE`), as read from the environment. */
export interface KeySource {
  readonly variable: string;
  readonly pem: string;
}

/**
 * Every setting Gatehouse reads, validated once at start. Injected by its class; built only by `loadConfig`.
 * Durations are whole seconds.
 */
export abstract class AppConfig {
  declare readonly nodeEnv: NodeEnv;
  declare readonly production: boolean;
  declare readonly http: {
    readonly host: string;
    readonly port: number;
    readonly trustProxy: TrustProxy;
    readonly corsOrigins: readonly string[];
    readonly bodyLimitBytes: number;
    /** A request whose headers and body have not all arrived within this is dropped. */
    readonly requestTimeout: number;
    /** An idle kept-alive connection is closed after this: longer than the idle timeout of the proxy in front. */
    readonly keepAliveTimeout: number;
    /** On SIGTERM, how long requests in flight may still finish before their connections are closed. */
    readonly shutdownGrace: number;
    /**
     * On SIGTERM, how long readiness answers 503 while the listener still serves, so a balancer stops sending
     * new requests before the listener closes.
     */
    readonly shutdownDelay: number;
  };
  /** PUBLIC_URL (where users reach Gatehouse) and APP_URL (the front end, where links point): origins. */
  declare readonly urls: { readonly publicUrl: string; readonly appUrl: string };
  /** `format`: human-readable lines (`pretty`) or one JSON object per line (`json`). */
  declare readonly log: { readonly level: LogLevel; readonly format: LogFormat };
  declare readonly database: {
    /** Unset: the embedded PostgreSQL (PGlite) under `dataDir`. */
    readonly url?: string;
    readonly dataDir: string;
    readonly migrationsRun: boolean;
  };
  /**
   * WORKERS: processes serving the port. Above 1, `main.ts` runs a cluster primary that only supervises; each
   * worker is an instance of its own (a PostgreSQL server and Redis are required, as for instances).
   */
  declare readonly workers: number;
  declare readonly cleanup: {
    /** False (CLEANUP_INTERVAL=off) where another instance or worker runs the clean-up. */
    readonly enabled: boolean;
    /** How often one instance purges expired refresh tokens and long-dead sessions. */
    readonly interval: number;
    /** How long a revoked or expired session is kept (for the record) before it is purged. */
    readonly sessionRetention: number;
  };
  declare readonly tokens: {
    readonly accessTtl: number;
    readonly refreshTtl: number;
    readonly sessionMaxAge?: number;
    readonly reuseGraceSeconds: number;
    /** REAUTH_MAX_AGE: how old a sign-in may be for a route that changes how the account is entered. */
    readonly reauthMaxAge: number;
    readonly issuer: string;
    readonly accessAudience: string;
    readonly refreshAudience: string;
    readonly clientId: string;
    /** Lifetime of an access token issued to a service client (client credentials), in seconds. */
    readonly clientTokenTtl: number;
  };
  declare readonly keys: {
    readonly accessPrivateKey?: KeySource;
    readonly accessPreviousPublicKeys?: KeySource;
    readonly refreshSecret?: KeySource;
  };
  declare readonly cookie: {
    readonly name: string;
    readonly sameSite: SameSite;
    readonly secure: boolean;
  };
  declare readonly throttle: {
    readonly login: { readonly limit: number; readonly ttl: number };
    readonly register: { readonly limit: number; readonly ttl: number };
    readonly refresh: { readonly limit: number; readonly ttl: number };
    /** Every public route without a limit of its own, per client address. */
    readonly public: { readonly limit: number; readonly ttl: number };
    /** Wrong second-factor codes per user, across challenges. */
    readonly mfa: { readonly limit: number; readonly ttl: number };
    /** Forgotten password, verification resend, email change: per client address and per email. */
    readonly recovery: { readonly limit: number; readonly ttl: number };
    /** Invitations to organizations sent per inviting user (each address also counts as recovery mail does). */
    readonly invite: { readonly limit: number; readonly ttl: number };
    /** Requests per API key, whatever route. */
    readonly apiKey: { readonly limit: number; readonly ttl: number };
    readonly redisUrl?: string;
  };
  declare readonly password: { readonly minLength: number };
  declare readonly mail: {
    /** SMTP_URL; unset: each message is written as an `.eml` file under `DATA_DIR/outbox/`. */
    readonly smtpUrl?: string;
    /** MAIL_FROM, the From header of every message. */
    readonly from: string;
    /** Seconds after its creation when an undelivered message is given up (MAIL_GIVE_UP). */
    readonly giveUpAfter: number;
    /**
     * Seconds a claimed message is reserved for the instance sending it (MAIL_SEND_LEASE); after a crash, how long
     * the message it was sending waits before another attempt.
     */
    readonly sendLease: number;
  };
  /** Mail and webhooks alike: DELIVERY_RETRY_FIRST (seconds after a first failure), DELIVERY_POLL_INTERVAL. */
  declare readonly delivery: { readonly retryFirst: number; readonly pollInterval: number };
  declare readonly webhooks: {
    /** Seconds after its creation when an undelivered webhook is given up (WEBHOOK_GIVE_UP). */
    readonly giveUpAfter: number;
    /** Seconds one attempt may take (WEBHOOK_TIMEOUT). */
    readonly timeout: number;
  };
  declare readonly recovery: {
    /** Seconds a verification link lives (EMAIL_VERIFICATION_TTL). */
    readonly verificationTtl: number;
    /** Seconds a reset or email-change link lives (PASSWORD_RESET_TTL). */
    readonly resetTtl: number;
    /** REQUIRE_EMAIL_VERIFICATION: login and refresh refused until the address is verified. */
    readonly requireVerification: boolean;
  };
  declare readonly emailCode: {
    /** Seconds a sign-in code sent by email works (EMAIL_CODE_TTL). */
    readonly ttl: number;
    /** EMAIL_CODE_SIGNUP: an unknown address gets a code too, and its first use creates the account. */
    readonly signup: boolean;
  };
  declare readonly audit: {
    /** Seconds an event stays in the account history (AUDIT_RETENTION). */
    readonly retention: number;
  };
  declare readonly orgs: {
    /** Seconds an invitation to an organization lives (INVITATION_TTL). */
    readonly invitationTtl: number;
  };
  declare readonly oauth: {
    /** OAUTH_PROVIDERS, in the order given (the order of the sign-in buttons). */
    readonly providers: readonly OAuthProviderSettings[];
    readonly allowInsecureIssuers: boolean;
  };
  declare readonly mfa: {
    /** MFA_ENCRYPTION_KEY, 32 bytes; unset outside production: a development key under DATA_DIR. */
    readonly encryptionKey?: Buffer;
    /** The issuer authenticator apps show beside the account (MFA_TOTP_ISSUER). */
    readonly totpIssuer: string;
    /** ADMIN_REQUIRE_MFA: every route that needs the admin role needs a second factor too. */
    readonly adminRequireMfa: boolean;
  };
  declare readonly metrics: {
    /** METRICS_TOKEN (or _FILE); unset: `GET /api/metrics` answers 404. */
    readonly token?: string;
  };
  /** Sender-constrained tokens: DPOP, DPOP_PROOF_MAX_AGE, DPOP_NONCES. */
  declare readonly dpop: DpopSettings;
  /** Passkeys: WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME, WEBAUTHN_ORIGINS. */
  declare readonly webauthn: WebAuthnSettings;
  declare readonly admin?: { readonly email: string; readonly password: string };
}
