import { UsersService } from '@gatehouse/users';
import { BadRequestException, Injectable, UnauthorizedException } from '@nestjs/common';
import { TokenResponseDto } from '../dto/token-response.dto';
import { SecondFactorCheck } from '../mfa/second-factor-check';
import { PASSKEY_AMR, PasskeysService } from '../passkeys/passkeys.service';
import { SecurityEvents } from '../security-events';
import { SignInService } from '../sign-in/sign-in.service';
import { AccountAttempts } from '../throttling/account-attempts';
import { ClientInfo, TokenService } from '../tokens/token.service';
import { AuthMethod, AuthUser } from '../tokens/token-types';
import { ReauthenticateDto } from './dto/reauthenticate.dto';

export const ONE_PROOF = 'send exactly one of password, code, recoveryCode or credential';
export const WRONG_PROOF = 'the proof is wrong';

type ProofMethod = 'password' | 'code' | 'recoveryCode' | 'credential';

/** What each proof adds to the session's `amr` (RFC 8176). */
const ADDED_AMR: Readonly<Record<ProofMethod, readonly AuthMethod[]>> = {
  password: ['pwd'],
  code: ['otp', 'mfa'],
  recoveryCode: ['mfa'],
  credential: PASSKEY_AMR,
};

/**
 * A fresh proof for a session that is already signed in (RFC 9470's step-up): the password, a code, a recovery
 * code or a passkey makes the session's `auth_time` now and adds the proof's methods to its `amr`. Each proof is
 * counted where a sign-in would count it, so a stolen access token is no oracle.
 */
@Injectable()
export class ReauthenticationService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly signIns: SignInService,
    private readonly attempts: AccountAttempts,
    private readonly secondFactor: SecondFactorCheck,
    private readonly passkeys: PasskeysService,
    private readonly events: SecurityEvents,
  ) {}

  async reauthenticate(
    caller: AuthUser,
    proof: ReauthenticateDto,
    client: ClientInfo,
  ): Promise<TokenResponseDto> {
    const given = (Object.keys(ADDED_AMR) as ProofMethod[]).filter((method) => proof[method] !== undefined);
    if (given.length !== 1) throw new BadRequestException(ONE_PROOF);
    const [method] = given;
    if (!(await this.holds(caller, method, proof))) {
      this.events.record('session.reauthentication_failed', {
        userId: caller.id,
        sessionId: caller.sessionId,
        method,
        ip: client.ip,
      });
      throw new UnauthorizedException(WRONG_PROOF);
    }
    const session = await this.tokens.reauthenticate(caller.sessionId, caller.id, ADDED_AMR[method]);
    if (!session) throw new UnauthorizedException('session has been revoked');
    this.events.record('session.reauthenticated', {
      userId: caller.id,
      sessionId: caller.sessionId,
      method,
      ip: client.ip,
    });
    return this.signIns.accessResponse(
      session.user,
      caller.sessionId,
      session.signIn,
      session.sessionStartedAt,
    );
  }

  private async holds(caller: AuthUser, method: ProofMethod, proof: ReauthenticateDto): Promise<boolean> {
    switch (method) {
      case 'password': {
        const user = await this.users.findById(caller.id);
        if (!user) return false;
        // Counted as a login attempt at the account: the same limit, whichever route is tried.
        await this.attempts.countLogin(user.email);
        return this.users.verifyPassword(user, proof.password!);
      }
      case 'code':
        return (await this.secondFactor.prove(caller.id, { code: proof.code })) === 'totp';
      case 'recoveryCode':
        return (await this.secondFactor.prove(caller.id, { recoveryCode: proof.recoveryCode })) !== undefined;
      case 'credential':
        return this.passkeys.reauthenticate(caller, proof.credential!);
    }
  }
}
