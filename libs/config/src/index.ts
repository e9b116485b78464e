export { AppConfig } from './app-config';
export type { KeySource, LogLevel, NodeEnv, SameSite, TrustProxy } from './app-config';
export { ConfigError } from './config-error';
export { ConfigModule } from './config.module';
export { parseDuration } from './duration';
export { loadConfig } from './load-config';
export type { OAuthProviderSettings, OAuthProviderType } from './oauth-config';
export { decodeEncryptionKey } from './mfa-config';
