import { PasswordService, UsersService } from '@gatehouse/users';
import {
  ForbiddenException,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { AccountChanges } from './changes/account-changes';
import { DpopRefusal } from './dpop/dpop-refusal';
import { AccountWrites } from './changes/account-writes';
import { SecurityEvents } from './security-events';
import {
  EMAIL_NOT_VERIFIED,
  IssuedTokens,
  SignInOutcome,
  SignInProof,
  SignInService,
} from './sign-in/sign-in.service';
import { AccountAttempts } from './throttling/account-attempts';
import { ClientInfo, RotationResult, TokenService } from './tokens/token.service';
import { AuthUser, RefreshClaims } from './tokens/token-types';

function dpopRefused(): DpopRefusal {
  return new DpopRefusal(
    401,
    'invalid_dpop_proof',
    'the session is bound to a key: a proof by that key is required',
  );
}

/** The auth use cases, between the HTTP layer and the token and user services. */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly signIns: SignInService,
    private readonly attempts: AccountAttempts,
    private readonly events: SecurityEvents,
    private readonly changes: AccountChanges,
    private readonly writes: AccountWrites,
  ) {}

  login(proof: SignInProof, client: ClientInfo): Promise<SignInOutcome> {
    return this.signIns.signIn(proof, client);
  }

  /**
   * Rotates the refresh token. Undefined means the token must be refused (and the cookie cleared). A failure of
   * the database is a 503, never a 401: a client must not log its user out because of a blip.
   */
  async refresh(
    claims: RefreshClaims,
    client: ClientInfo,
    organization?: string | null,
  ): Promise<IssuedTokens | undefined> {
    let result: RotationResult;
    try {
      result = await this.tokens.rotate(claims, client, organization);
    } catch {
      this.events.note('refresh.unavailable');
      throw new ServiceUnavailableException('the session store is unavailable; try again shortly');
    }
    if (result.outcome === 'rotated') this.events.note('refresh.rotated');
    // The session is fine; this request did not prove its key: refused, and the cookie stays.
    if (result.outcome === 'rejected' && result.reason === 'dpop_refused') throw dpopRefused();
    // Not a dead session: it may refresh again once the address is verified, so the cookie stays.
    if (result.outcome === 'rejected' && result.reason === 'email_unverified') {
      throw new ForbiddenException(EMAIL_NOT_VERIFIED);
    }
    // The session is fine; it cannot enter an organization it is not in.
    if (result.outcome === 'rejected' && result.reason === 'not_member') {
      throw new ForbiddenException('you are not a member of that organization');
    }
    if (result.outcome !== 'rotated' && result.outcome !== 'race') return undefined;
    return this.signIns.issue(
      result.user,
      result.sessionId,
      result.signIn,
      result.refresh,
      result.sessionStartedAt,
    );
  }

  /** Ends the session the refresh token names; a bound session's only with a proof by its key (401 otherwise). */
  async logout(claims: RefreshClaims | undefined, client: ClientInfo): Promise<void> {
    if (claims && (await this.tokens.logout(claims, client.proofKey)) === 'dpop_refused') throw dpopRefused();
  }

  /** Every session of the user ends, the caller's too, and with them every outstanding reset or email-change link. */
  async logoutAll(caller: AuthUser, client: ClientInfo): Promise<void> {
    await this.changes.change({
      kind: 'logout_all',
      userId: caller.id,
      proof: { kind: 'session', caller },
      client,
      apply: () => Promise.resolve(true),
    });
  }

  /**
   * Checks the current password, then sets the new one through the change function (every other session ends).
   * Each attempt counts against the account's login limit, so a stolen access token is no password oracle.
   */
  async changePassword(
    caller: AuthUser,
    currentPassword: string,
    newPassword: string,
    client: ClientInfo,
  ): Promise<void> {
    this.passwords.assertAcceptable(newPassword, 'newPassword');
    const user = await this.users.findById(caller.id);
    if (!user) throw new NotFoundException('user not found');
    await this.attempts.countLogin(user.email);
    if (!(await this.users.verifyPassword(user, currentPassword))) {
      this.events.record('password.change_failed', { userId: user.id, sessionId: caller.sessionId });
      throw new ForbiddenException('current password is wrong');
    }
    const passwordHash = await this.passwords.hash(newPassword);
    await this.changes.change({
      kind: 'password_changed',
      userId: user.id,
      // Under the version the current password was checked against: a change committed meanwhile wins.
      proof: { kind: 'password', caller, credentialsVersion: user.credentialsVersion },
      client,
      apply: (scope) => this.writes.setPassword(scope, passwordHash),
    });
  }
}
