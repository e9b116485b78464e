import { User, UsersService } from '@gatehouse/users';
import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { SecurityEvents } from '../security-events';

export const INVALID_CREDENTIALS = 'invalid email or password';

/** Email and password login. Unknown email and wrong password get the same answer after the same work. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(
    private readonly users: UsersService,
    private readonly events: SecurityEvents,
  ) {
    super({ usernameField: 'email', passwordField: 'password', session: false });
  }

  async validate(email: string, password: string): Promise<User> {
    const check = await this.users.verifyCredentials(email, password);
    if (check.outcome !== 'verified') {
      const userId = check.outcome === 'wrong_password' ? check.user.id : undefined;
      this.events.record('login.failed', { userId, reason: check.outcome });
      throw new UnauthorizedException(INVALID_CREDENTIALS);
    }
    // Only someone who knows the password learns that the account is disabled.
    if (check.user.disabledAt) {
      this.events.record('login.failed', { userId: check.user.id, reason: 'account_disabled' });
      throw new ForbiddenException('account is disabled');
    }
    return check.user;
  }
}
