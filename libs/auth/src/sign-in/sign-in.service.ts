import { AppConfig } from '@gatehouse/config';
import { MailService } from '@gatehouse/mail';
import { User, UserDto, UsersService } from '@gatehouse/users';
import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { KnownDevices } from '../devices/known-devices';
import { newDeviceNotice } from '../devices/new-device-notice';
import { TokenResponseDto } from '../dto/token-response.dto';
import { IssuedChallenge, MfaChallenges } from '../mfa/mfa-challenges';
import { TotpAuthenticator } from '../mfa/totp-authenticator';
import { SecurityEventFields, SecurityEvents } from '../security-events';
import { ClientInfo, IssuedRefreshToken, TokenService } from '../tokens/token.service';
import { TokenSigner } from '../tokens/token-signer';
import { AuthMethod, SignInFacts } from '../tokens/token-types';

/** The answer to one sign-in attempt a user has passed, one way or another. */
export const INVALID_CREDENTIALS = 'invalid email or password';
export const EMAIL_NOT_VERIFIED = 'email not verified';
export const ACCOUNT_DISABLED = 'account is disabled';

/** What a way in has established about a user, for the sign-in function to turn into a session. */
export interface SignInProof {
  readonly userId: string;
  /** The user's credentials version read before the proof was checked: a change since then voids it. */
  readonly credentialsVersion: number;
  /** How the user proved who they are (RFC 8176), e.g. `['pwd']`. */
  readonly amr: readonly AuthMethod[];
}

/** Where a request came from, as the history records it. */
function clientFields(client: ClientInfo): SecurityEventFields {
  return { ip: client.ip, userAgent: client.userAgent };
}

/**
 * How a sign-in ends: a session, or (for a user with a second factor on, when the proof holds no second factor
 * yet) a challenge to answer at `mfa/verify`, with no session at all.
 */
export type SignInOutcome =
  | { readonly kind: 'session'; readonly tokens: IssuedTokens }
  | { readonly kind: 'mfa'; readonly challenge: IssuedChallenge };

export interface IssuedTokens {
  body: TokenResponseDto;
  refresh: IssuedRefreshToken;
  sessionId: string;
  /** A sign-in from a browser that carried no device cookie: the one to set beside the refresh cookie. */
  deviceCookie?: string;
}

interface LockedUser {
  user_row: Record<string, unknown>;
  now: Date;
}

/**
 * The one place a session starts, whatever the way in (password now; a provider, a passkey or a second factor
 * later). In one transaction it locks the user row, re-checks what a sign-in depends on, and inserts the
 * session: a password change or a disable committed meanwhile either waits for this transaction (and then
 * revokes the session it made) or is seen by it (and the sign-in fails). A new way in that calls this cannot
 * skip a check, nor the notice of a sign-in from a browser or device the account has not seen lately.
 */
@Injectable()
export class SignInService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly signer: TokenSigner,
    private readonly events: SecurityEvents,
    private readonly totp: TotpAuthenticator,
    private readonly challenges: MfaChallenges,
    private readonly devices: KnownDevices,
    private readonly mail: MailService,
  ) {}

  async signIn(proof: SignInProof, client: ClientInfo): Promise<SignInOutcome> {
    const started = await this.dataSource.transaction(async (db) => {
      // FOR SHARE: concurrent sign-ins of one user do not wait for each other, but a credentials change
      // (an UPDATE of this row) waits for them, and they for it.
      const [locked] = await db.query<LockedUser[]>(
        'SELECT to_jsonb(u) AS user_row, clock_timestamp() AS now FROM users u WHERE u.id = $1 FOR SHARE',
        [proof.userId],
      );
      if (!locked) throw this.refuse(proof, 'unknown_user', new UnauthorizedException(INVALID_CREDENTIALS));
      const user = this.users.fromRow(locked.user_row);
      // Only someone who has just proven who they are learns that the account is disabled.
      if (user.disabledAt) {
        throw this.refuse(proof, 'account_disabled', new ForbiddenException(ACCOUNT_DISABLED));
      }
      if (this.config.recovery.requireVerification && !user.emailVerifiedAt) {
        throw this.refuse(proof, 'email_unverified', new ForbiddenException(EMAIL_NOT_VERIFIED));
      }
      if (user.credentialsVersion !== proof.credentialsVersion) {
        throw this.refuse(proof, 'credentials_changed', new UnauthorizedException(INVALID_CREDENTIALS));
      }
      // A second factor is owed unless the proof already carries one (mfa/verify, a passkey).
      if (!proof.amr.includes('mfa') && (await this.totp.isOn(db, user.id))) {
        const challenge = await this.challenges.issue(db, {
          userId: user.id,
          credentialsVersion: user.credentialsVersion,
          amr: proof.amr,
        });
        const owed = { userId: user.id, amr: [...proof.amr], ...clientFields(client) };
        await this.events.store(db, 'login.mfa_required', owed);
        return { kind: 'mfa' as const, owed, challenge };
      }
      const now = new Date(locked.now);
      const signIn: SignInFacts = { amr: [...proof.amr], authTime: now, jkt: client.proofKey };
      const session = await this.tokens.startSession(db, {
        userId: user.id,
        credentialsVersion: user.credentialsVersion,
        signIn,
        client,
        now,
        // A provider sign-in arrives by redirect, without the client's proof: its first refresh with one binds it.
        dpopBindable: this.config.dpop.mode !== 'off' && !client.proofKey && proof.amr.includes('fed'),
      });
      const succeeded = {
        userId: user.id,
        sessionId: session.sessionId,
        amr: [...signIn.amr],
        ...clientFields(client),
      };
      await this.events.store(db, 'login.succeeded', succeeded);
      // A browser or device the account has not seen lately is told of here: the notice exists iff the session does.
      const device = await this.devices.sighted(db, user, client, now);
      const newDevice = device.isNew
        ? {
            userId: user.id,
            sessionId: session.sessionId,
            identifiedBy: device.identifiedBy,
            ...clientFields(client),
          }
        : undefined;
      if (newDevice) {
        await this.mail.queue(db, newDeviceNotice(user.email, { at: now, client, amr: signIn.amr }));
        await this.events.store(db, 'login.new_device', newDevice);
      }
      const bound = client.proofKey
        ? { userId: user.id, sessionId: session.sessionId, jkt: client.proofKey }
        : undefined;
      if (bound) await this.events.store(db, 'dpop.bound', bound);
      return {
        kind: 'session' as const,
        user,
        signIn,
        now,
        succeeded,
        newDevice,
        bound,
        deviceCookie: device.newCookie,
        ...session,
      };
    });
    if (started.kind === 'mfa') {
      this.events.announce('login.mfa_required', started.owed);
      return { kind: 'mfa', challenge: started.challenge };
    }
    this.events.announce('login.succeeded', started.succeeded);
    if (started.newDevice) this.events.announce('login.new_device', started.newDevice);
    if (started.bound) this.events.announce('dpop.bound', started.bound);
    const tokens = this.issue(started.user, started.sessionId, started.signIn, started.refresh, started.now);
    return { kind: 'session', tokens: { ...tokens, deviceCookie: started.deviceCookie } };
  }

  /**
   * The response of a sign-in or a refresh: an access token for the session, the user, the refresh token. The
   * access token never outlives the session: with SESSION_MAX_AGE, it expires by the session's end at the latest.
   */
  issue(
    user: User,
    sessionId: string,
    signIn: SignInFacts,
    refresh: IssuedRefreshToken,
    sessionStartedAt: Date,
  ): IssuedTokens {
    return { body: this.accessResponse(user, sessionId, signIn, sessionStartedAt), refresh, sessionId };
  }

  /** The JSON body of a sign-in, a refresh or a reauthentication: an access token for the session, and the user. */
  accessResponse(
    user: User,
    sessionId: string,
    signIn: SignInFacts,
    sessionStartedAt: Date,
  ): TokenResponseDto {
    const expiresIn = this.accessLifetime(sessionStartedAt);
    return {
      accessToken: this.signer.signAccessToken(user, sessionId, signIn, expiresIn),
      tokenType: signIn.jkt ? 'DPoP' : 'Bearer',
      expiresIn,
      user: UserDto.from(user),
    };
  }

  /** ACCESS_TOKEN_TTL, or the seconds the session has left under SESSION_MAX_AGE when fewer. */
  accessLifetime(sessionStartedAt: Date, now = Date.now()): number {
    const { accessTtl, sessionMaxAge } = this.config.tokens;
    if (sessionMaxAge === undefined) return accessTtl;
    const left = Math.floor((sessionStartedAt.getTime() + sessionMaxAge * 1000 - now) / 1000);
    return Math.max(1, Math.min(accessTtl, left));
  }

  private refuse(proof: SignInProof, reason: string, error: Error): Error {
    this.events.record('login.failed', { userId: proof.userId, reason, amr: [...proof.amr] });
    return error;
  }
}
