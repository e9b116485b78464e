import { AppConfig } from '@gatehouse/config';
import { UsersService } from '@gatehouse/users';
import {
  BadRequestException,
  ForbiddenException,
  Injectable,
  Logger,
  NotFoundException,
  OnModuleInit,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  VerifiedAuthenticationResponse,
  VerifiedRegistrationResponse,
} from '@simplewebauthn/server';
import { DataSource } from 'typeorm';
import { AccountChanges, NO_CHANGE } from '../changes/account-changes';
import { TotpAuthenticator } from '../mfa/totp-authenticator';
import { SecurityEvents, SecurityEventFields } from '../security-events';
import {
  ACCOUNT_DISABLED,
  EMAIL_NOT_VERIFIED,
  SignInOutcome,
  SignInService,
} from '../sign-in/sign-in.service';
import { ClientInfo } from '../tokens/token.service';
import { AuthMethod, AuthUser } from '../tokens/token-types';
import { AuthenticationCredentialDto, RegistrationCredentialDto } from './dto/passkey.dto';
import { Passkey } from './entities/passkey.entity';
import { CHALLENGE_TTL_SECONDS, PasskeyChallenges } from './passkey-challenges';
import { DEFAULT_PASSKEY_NAME, PasskeyStore } from './passkey-store';

/** A passkey with user verification: something the user has, unlocked by something they are or know (RFC 8176). */
export const PASSKEY_AMR: readonly AuthMethod[] = ['hwk', 'user', 'mfa'];
export const PASSKEY_REFUSED = 'passkey sign-in failed';
export const REGISTRATION_REFUSED = 'the passkey could not be registered';
export const PASSKEYS_OFF = 'passkeys are not available on this server';

interface RelyingParty {
  readonly rpId: string;
  readonly rpName: string;
  readonly origins: string[];
}

/** The challenge a browser's answer names in its `clientDataJSON`; undefined when it names none. */
function challengeOf(clientDataJSON: string): string | undefined {
  try {
    const data: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    const challenge = (data as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === 'string' && challenge.length <= 128 ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/** The signature counter in authenticator data (after the 32-byte RP id hash and the flags byte). */
function counterOf(authenticatorData: string): number | undefined {
  const bytes = Buffer.from(authenticatorData, 'base64url');
  return bytes.length >= 37 ? bytes.readUInt32BE(33) : undefined;
}

const bytesOf = (base64url: string): Uint8Array<ArrayBuffer> =>
  new Uint8Array(Buffer.from(base64url, 'base64url'));

/**
 * Passkeys on @simplewebauthn/server: registration for a signed-in user, usernameless sign-in. Every answer
 * must name a challenge this server issued for that ceremony (taken before verifying, so an answer works once)
 * and must verify with user verification; only then is the counter moved or a session started, through the
 * sign-in function every way in shares.
 */
@Injectable()
export class PasskeysService implements OnModuleInit {
  private readonly log = new Logger('Passkeys');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly store: PasskeyStore,
    private readonly challenges: PasskeyChallenges,
    private readonly totp: TotpAuthenticator,
    private readonly signIns: SignInService,
    private readonly events: SecurityEvents,
    private readonly changes: AccountChanges,
  ) {}

  onModuleInit(): void {
    const { offReason } = this.config.webauthn;
    if (offReason) this.log.warn(offReason);
  }

  /** A user with the authenticator app on adds a passkey only from a session that passed it. */
  async secondFactorOwed(caller: AuthUser): Promise<boolean> {
    return !caller.amr.includes('mfa') && (await this.totp.isOn(this.dataSource.manager, caller.id));
  }

  async registrationOptions(caller: AuthUser): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const rp = this.relyingParty();
    const user = await this.users.findById(caller.id);
    if (!user) throw new UnauthorizedException();
    if (!user.emailVerifiedAt) throw new ForbiddenException(EMAIL_NOT_VERIFIED);
    const [handle, passkeys] = await Promise.all([
      this.store.handleFor(user.id),
      this.store.listFor(user.id),
    ]);
    const challenge = await this.challenges.issue('register', user.id);
    return generateRegistrationOptions({
      rpName: rp.rpName,
      rpID: rp.rpId,
      userName: user.email,
      userDisplayName: user.displayName ?? user.email,
      userID: bytesOf(handle),
      challenge: bytesOf(challenge),
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      attestationType: 'none',
      excludeCredentials: passkeys.map((passkey) => ({
        id: passkey.credentialId,
        transports: passkey.transports,
      })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
  }

  async register(
    caller: AuthUser,
    credential: RegistrationCredentialDto,
    client: ClientInfo,
    name?: string,
  ): Promise<Passkey> {
    const rp = this.relyingParty();
    const refuse = (reason: string): BadRequestException => {
      this.events.record('passkey.failed', { ceremony: 'register', userId: caller.id, reason });
      return new BadRequestException(REGISTRATION_REFUSED);
    };
    const challenge = challengeOf(credential.response.clientDataJSON);
    if (!challenge || !(await this.challenges.take('register', challenge, caller.id))) {
      throw refuse('challenge_unknown_or_used');
    }
    let result: VerifiedRegistrationResponse;
    try {
      result = await verifyRegistrationResponse({
        response: credential as RegistrationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: rp.origins,
        expectedRPID: rp.rpId,
        requireUserVerification: true,
      });
    } catch {
      throw refuse('verification_failed');
    }
    if (result.verified !== true) throw refuse('not_verified');
    const info = result.registrationInfo;
    const passkey = await this.changes.change({
      kind: 'passkey_added',
      userId: caller.id,
      proof: { kind: 'recent_sign_in', caller },
      client,
      apply: async (scope) =>
        (await this.store.add(scope, {
          credentialId: info.credential.id,
          publicKey: info.credential.publicKey,
          counter: info.credential.counter,
          transports: info.credential.transports ?? credential.response.transports ?? [],
          deviceType: info.credentialDeviceType,
          backedUp: info.credentialBackedUp,
          name: name?.trim() || DEFAULT_PASSKEY_NAME,
        })) ?? NO_CHANGE,
    });
    if (passkey === NO_CHANGE) throw refuse('already_registered');
    return passkey;
  }

  async loginOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const rp = this.relyingParty();
    const challenge = await this.challenges.issue('login', null);
    const options = await generateAuthenticationOptions({
      rpID: rp.rpId,
      challenge: bytesOf(challenge),
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      userVerification: 'required',
    });
    // Empty: the browser offers whichever passkeys it holds for the site, so no email is asked first.
    return { ...options, allowCredentials: [] };
  }

  async login(credential: AuthenticationCredentialDto, client: ClientInfo): Promise<SignInOutcome> {
    const refuse = (reason: string, fields: SecurityEventFields = {}): UnauthorizedException => {
      this.events.record('passkey.failed', { ceremony: 'login', reason, ip: client.ip, ...fields });
      return new UnauthorizedException(PASSKEY_REFUSED);
    };
    const passkey = await this.verifyAssertion(credential, 'login', null, refuse);
    const fields = { userId: passkey.userId, passkeyId: passkey.id };
    let outcome: SignInOutcome;
    try {
      outcome = await this.signIns.signIn(
        { userId: passkey.userId, credentialsVersion: passkey.credentialsVersion, amr: PASSKEY_AMR },
        client,
      );
    } catch (error) {
      // Usernameless: a disabled account is a failed sign-in like any other, not a hint that it exists.
      if (error instanceof ForbiddenException && error.message === ACCOUNT_DISABLED) {
        throw new UnauthorizedException(PASSKEY_REFUSED);
      }
      throw error;
    }
    this.events.record('passkey.signed_in', {
      ...fields,
      sessionId: outcome.kind === 'session' ? outcome.tokens.sessionId : undefined,
      ip: client.ip,
    });
    return outcome;
  }

  /** Options to prove, with one of the caller's own passkeys, that it is still them at the keyboard. */
  async reauthenticationOptions(caller: AuthUser): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const rp = this.relyingParty();
    const passkeys = await this.store.listFor(caller.id);
    if (passkeys.length === 0) throw new NotFoundException('the account has no passkey');
    const challenge = await this.challenges.issue('reauth', caller.id);
    return generateAuthenticationOptions({
      rpID: rp.rpId,
      challenge: bytesOf(challenge),
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      userVerification: 'required',
      allowCredentials: passkeys.map((passkey) => ({
        id: passkey.credentialId,
        transports: passkey.transports,
      })),
    });
  }

  /** Whether the assertion is a fresh one, by one of the caller's passkeys, for a reauthentication challenge. */
  async reauthenticate(caller: AuthUser, credential: AuthenticationCredentialDto): Promise<boolean> {
    const refuse = (reason: string, fields: SecurityEventFields = {}): UnauthorizedException => {
      this.events.record('passkey.failed', { ceremony: 'reauth', reason, userId: caller.id, ...fields });
      return new UnauthorizedException(PASSKEY_REFUSED);
    };
    try {
      await this.verifyAssertion(credential, 'reauth', caller.id, refuse);
      return true;
    } catch (error) {
      if (error instanceof UnauthorizedException) return false;
      throw error;
    }
  }

  /**
   * Checks an assertion end to end: a challenge this server issued for the ceremony (taken first, so an answer
   * works once), a known passkey of the user its handle names (and of `userId`, when given), the signature with
   * user verification, and a counter that moved forward. Returns the passkey with its user's credentials version
   * read before the signature was checked: a change committed after that voids a sign-in.
   */
  private async verifyAssertion(
    credential: AuthenticationCredentialDto,
    purpose: 'login' | 'reauth',
    userId: string | null,
    refuse: (reason: string, fields?: SecurityEventFields) => UnauthorizedException,
  ): Promise<Passkey & { credentialsVersion: number }> {
    const rp = this.relyingParty();
    const challenge = challengeOf(credential.response.clientDataJSON);
    if (!challenge || !(await this.challenges.take(purpose, challenge, userId))) {
      throw refuse('challenge_unknown_or_used');
    }
    const passkey = await this.store.findByCredentialId(credential.id);
    if (!passkey || (userId !== null && passkey.userId !== userId)) throw refuse('unknown_credential');
    const fields = { userId: passkey.userId, passkeyId: passkey.id };
    // A discoverable credential names its user; it must be the user the credential was registered to.
    const handle = credential.response.userHandle;
    if (purpose === 'login' && (!handle || (await this.store.userOfHandle(handle)) !== passkey.userId)) {
      throw refuse('user_handle_mismatch', fields);
    }
    const user = await this.users.findById(passkey.userId);
    if (!user) throw refuse('unknown_user', fields);
    const storedCounter = Number(passkey.counter);
    let result: VerifiedAuthenticationResponse;
    try {
      result = await verifyAuthenticationResponse({
        response: credential as AuthenticationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: rp.origins,
        expectedRPID: rp.rpId,
        credential: {
          id: passkey.credentialId,
          publicKey: new Uint8Array(passkey.publicKey),
          counter: storedCounter,
          transports: passkey.transports,
        },
        requireUserVerification: true,
      });
    } catch {
      const reported = counterOf(credential.response.authenticatorData);
      const wentBack =
        reported !== undefined && (reported > 0 || storedCounter > 0) && reported <= storedCounter;
      throw refuse(wentBack ? 'counter_went_backwards' : 'verification_failed', fields);
    }
    // A bad signature is `verified: false`, not an exception.
    if (result.verified !== true) throw refuse('bad_signature', fields);
    const { newCounter, credentialBackedUp } = result.authenticationInfo;
    if (!(await this.store.recordUse(passkey.id, newCounter, credentialBackedUp))) {
      throw refuse('counter_went_backwards', fields);
    }
    return Object.assign(passkey, { credentialsVersion: user.credentialsVersion });
  }

  list(caller: AuthUser): Promise<Passkey[]> {
    return this.store.listFor(caller.id);
  }

  rename(caller: AuthUser, id: string, name: string): Promise<Passkey> {
    return this.store.rename(caller.id, id, name.trim());
  }

  /** Removes a passkey (of a lost device, say): every other session of the user ends with it. */
  async remove(caller: AuthUser, id: string, client: ClientInfo): Promise<void> {
    await this.changes.change({
      kind: 'passkey_removed',
      userId: caller.id,
      proof: { kind: 'recent_sign_in', caller },
      client,
      details: { passkeyId: id },
      apply: async (scope) => {
        await this.store.remove(scope, id);
        return true;
      },
    });
  }

  private relyingParty(): RelyingParty {
    const { rpId, rpName, origins } = this.config.webauthn;
    if (!rpId) throw new NotFoundException(PASSKEYS_OFF);
    return { rpId, rpName, origins: [...origins] };
  }
}
