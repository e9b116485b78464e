import { UsersService } from '@gatehouse/users';
import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { SecurityEvents } from '../security-events';
import { INVALID_CREDENTIALS, SignInProof } from '../sign-in/sign-in.service';

/**
 * Email and password: proves who the user is, nothing more (whether they may sign in is the sign-in
 * function's call). Unknown email and wrong password get the same answer after the same work.
 */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(
    private readonly users: UsersService,
    private readonly events: SecurityEvents,
  ) {
    super({ usernameField: 'email', passwordField: 'password', session: false });
  }

  async validate(email: string, password: string): Promise<SignInProof> {
    const check = await this.users.verifyCredentials(email, password);
    if (check.outcome !== 'verified') {
      const userId = check.outcome === 'unknown_email' ? undefined : check.user.id;
      this.events.record('login.failed', { userId, reason: check.outcome });
      throw new UnauthorizedException(INVALID_CREDENTIALS);
    }
    return { userId: check.user.id, credentialsVersion: check.user.credentialsVersion, amr: ['pwd'] };
  }
}
