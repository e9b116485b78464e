import { UsersService } from '@gatehouse/users';
import { BadRequestException, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SecurityEvents } from '../security-events';
import { SignInOutcome, SignInService } from '../sign-in/sign-in.service';
import { ClientInfo, TokenService } from '../tokens/token.service';
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
    private readonly tokens: TokenService,
    private readonly totp: TotpAuthenticator,
    private readonly recoveryCodes: RecoveryCodes,
    private readonly challenges: MfaChallenges,
    private readonly check: SecondFactorCheck,
    private readonly signIns: SignInService,
    private readonly events: SecurityEvents,
  ) {}

  async beginTotp(caller: AuthUser): Promise<{ secret: string; otpauthUrl: string }> {
    const user = await this.users.findById(caller.id);
    if (!user) throw new NotFoundException('user not found');
    return this.totp.begin(this.dataSource.manager, user.id, user.email);
  }

  /**
   * Turns the factor on with a first right code, with ten recovery codes, and ends every other session of the
   * user (they began without it), all in one transaction.
   */
  async confirmTotp(caller: AuthUser, code: string): Promise<string[]> {
    let recoveryCodes: string[] = [];
    const confirmed = await this.tokens.changeCredentials(
      caller.id,
      'mfa_enabled',
      async (db) => {
        if (!(await this.totp.confirm(db, caller.id, code))) return false;
        recoveryCodes = await this.recoveryCodes.replace(db, caller.id);
        return this.users.bumpCredentialsVersion(db, caller.id);
      },
      caller.sessionId,
    );
    if (!confirmed) throw new BadRequestException(WRONG_CODE);
    this.events.record('mfa.enabled', { userId: caller.id, sessionId: caller.sessionId });
    return recoveryCodes;
  }

  async disable(caller: AuthUser, answer: SecondFactorAnswer): Promise<void> {
    await this.proveOrRefuse(caller.id, answer);
    await this.dataSource.transaction(async (db) => {
      await this.totp.remove(db, caller.id);
      await this.recoveryCodes.remove(db, caller.id);
    });
    this.events.record('mfa.disabled', { userId: caller.id, sessionId: caller.sessionId });
  }

  async replaceRecoveryCodes(caller: AuthUser, answer: SecondFactorAnswer): Promise<string[]> {
    await this.proveOrRefuse(caller.id, answer);
    const codes = await this.dataSource.transaction((db) => this.recoveryCodes.replace(db, caller.id));
    this.events.record('mfa.recovery_codes_replaced', { userId: caller.id, sessionId: caller.sessionId });
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
    const method = await this.check.prove(challenge.userId, answer);
    if (!method) {
      await this.challenges.recordWrongCode(challenge.id);
      throw new UnauthorizedException(WRONG_CODE);
    }
    if (!(await this.challenges.consume(challenge.id))) throw new UnauthorizedException(DEAD_CHALLENGE);
    const added: AuthMethod[] = method === 'totp' ? ['otp', 'mfa'] : ['mfa'];
    const outcome = await this.signIns.signIn(
      {
        userId: challenge.userId,
        credentialsVersion: challenge.credentialsVersion,
        amr: [...challenge.amr, ...added],
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

  private async proveOrRefuse(userId: string, answer: SecondFactorAnswer): Promise<void> {
    if (!(await this.totp.isOn(this.dataSource.manager, userId))) {
      throw new BadRequestException('the second factor is not on');
    }
    if (!(await this.check.prove(userId, answer))) throw new BadRequestException(WRONG_CODE);
  }
}
