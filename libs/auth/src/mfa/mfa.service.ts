import { UsersService } from '@gatehouse/users';
import {
  BadRequestException,
  ForbiddenException,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccountChanges, NO_CHANGE } from '../changes/account-changes';
import { SecurityEvents } from '../security-events';
import { EMAIL_NOT_VERIFIED, SignInOutcome, SignInService } from '../sign-in/sign-in.service';
import { ClientInfo } from '../tokens/token.service';
import { AuthMethod, AuthUser } from '../tokens/token-types';
import { MfaChallenges } from './mfa-challenges';
import { RecoveryCodes } from './recovery-codes';
import { SecondFactorAnswer, SecondFactorCheck } from './second-factor-check';
import { TotpAuthenticator } from './totp-authenticator';

const DEAD_CHALLENGE = 'the mfa token is invalid, used or expired';
const WRONG_CODE = 'the code is wrong';

/** The second factor's use cases: turning it on and off, new recovery codes, and the login step. */
@Injectable()
export class MfaService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly totp: TotpAuthenticator,
    private readonly recoveryCodes: RecoveryCodes,
    private readonly challenges: MfaChallenges,
    private readonly check: SecondFactorCheck,
    private readonly signIns: SignInService,
    private readonly events: SecurityEvents,
    private readonly changes: AccountChanges,
  ) {}

  /** A pending secret, for a caller with a recent sign-in (the route checks) and a proven address. */
  async beginTotp(caller: AuthUser): Promise<{ secret: string; otpauthUrl: string }> {
    const user = await this.users.findById(caller.id);
    if (!user) throw new NotFoundException('user not found');
    if (!user.emailVerifiedAt) throw new ForbiddenException(EMAIL_NOT_VERIFIED);
    return this.totp.begin(this.dataSource.manager, user.id, user.email);
  }

  /**
   * Turns the factor on with a first right code, with ten recovery codes, through the change function: every
   * other session of the user ends (they began without it).
   */
  async confirmTotp(caller: AuthUser, code: string, client: ClientInfo): Promise<string[]> {
    const codes = await this.changes.change({
      kind: 'totp_enabled',
      userId: caller.id,
      proof: { kind: 'recent_sign_in', caller },
      client,
      apply: async (scope) =>
        (await this.totp.confirm(scope, code)) ? this.recoveryCodes.replace(scope) : NO_CHANGE,
    });
    if (codes === NO_CHANGE) throw new BadRequestException(WRONG_CODE);
    return codes;
  }

  /** Turns the factor off with a code or a recovery code; every other session of the user ends. */
  async disable(caller: AuthUser, answer: SecondFactorAnswer, client: ClientInfo): Promise<void> {
    const credentialsVersion = await this.proveOrRefuse(caller.id, answer);
    await this.changes.change({
      kind: 'totp_disabled',
      userId: caller.id,
      proof: { kind: 'second_factor', caller, credentialsVersion },
      client,
      apply: async (scope) => {
        await this.totp.remove(scope);
        await this.recoveryCodes.remove(scope);
        return true;
      },
    });
  }

  async replaceRecoveryCodes(
    caller: AuthUser,
    answer: SecondFactorAnswer,
    client: ClientInfo,
  ): Promise<string[]> {
    const credentialsVersion = await this.proveOrRefuse(caller.id, answer);
    const codes = await this.changes.change({
      kind: 'recovery_codes_replaced',
      userId: caller.id,
      proof: { kind: 'second_factor', caller, credentialsVersion },
      client,
      apply: (scope) => this.recoveryCodes.replace(scope),
    });
    if (codes === NO_CHANGE) throw new BadRequestException(WRONG_CODE);
    return codes;
  }

  /**
   * The login step: a live challenge and a right answer start the session, through the sign-in function, with
   * the second factor added to the amr. A wrong answer counts against the challenge (five kill it) and the user.
   */
  async verify(mfaToken: string, answer: SecondFactorAnswer, client: ClientInfo): Promise<SignInOutcome> {
    const challenge = await this.challenges.open(mfaToken);
    if (!challenge) {
      this.events.record('mfa.failed', { reason: 'dead_challenge', ip: client.ip });
      throw new UnauthorizedException(DEAD_CHALLENGE);
    }
    // open() has counted this attempt against the challenge already: concurrent guesses cannot pass the fifth.
    const method = await this.check.prove(challenge.userId, answer);
    if (!method) throw new UnauthorizedException(WRONG_CODE);
    if (!(await this.challenges.consume(challenge.id))) throw new UnauthorizedException(DEAD_CHALLENGE);
    const added: AuthMethod[] = method === 'totp' ? ['otp', 'mfa'] : ['mfa'];
    const outcome = await this.signIns.signIn(
      {
        userId: challenge.userId,
        credentialsVersion: challenge.credentialsVersion,
        // Once each: a first factor that was a code already (by email) is not listed twice.
        amr: [...new Set([...challenge.amr, ...added])],
      },
      client,
    );
    this.events.record('mfa.verified', { userId: challenge.userId, method });
    return outcome;
  }

  /** For a route that asks for the factor when it is on (disable, new codes, a password reset). */
  async proveIfOn(userId: string, answer: SecondFactorAnswer): Promise<void> {
    if (!(await this.totp.isOn(this.dataSource.manager, userId))) return;
    if (answer.code === undefined && answer.recoveryCode === undefined) {
      throw new UnauthorizedException('a code from the authenticator app or a recovery code is required');
    }
    if (!(await this.check.prove(userId, answer))) throw new UnauthorizedException(WRONG_CODE);
  }

  /** The credentials version the answer was checked under, for the change that follows. */
  private async proveOrRefuse(userId: string, answer: SecondFactorAnswer): Promise<number> {
    const user = await this.users.findById(userId);
    if (!user) throw new NotFoundException('user not found');
    if (!(await this.totp.isOn(this.dataSource.manager, userId))) {
      throw new BadRequestException('the second factor is not on');
    }
    if (!(await this.check.prove(userId, answer))) throw new BadRequestException(WRONG_CODE);
    return user.credentialsVersion;
  }
}
