import { SecurityEvents, TokenService } from '@gatehouse/auth';
import { User, UsersService } from '@gatehouse/users';
import { Injectable, NotFoundException } from '@nestjs/common';

/** What an administrator may do to accounts. */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly events: SecurityEvents,
  ) {}

  list(limit: number, offset: number): Promise<[User[], number]> {
    return this.users.list(limit, offset);
  }

  /**
   * Blocks login and ends every session, in one transaction: the user's access tokens stop working at once, and
   * a sign-in in flight fails (disabling bumps the credentials version it was proven under).
   */
  async disable(id: string, adminId: string): Promise<void> {
    const found = await this.tokens.changeCredentials(id, 'account_disabled', (db) =>
      this.users.setDisabled(id, true, db),
    );
    if (!found) throw new NotFoundException('user not found');
    this.events.record('account.disabled', { userId: id, adminId });
  }

  async enable(id: string, adminId: string): Promise<void> {
    if (!(await this.users.setDisabled(id, false))) {
      throw new NotFoundException('user not found');
    }
    this.events.record('account.enabled', { userId: id, adminId });
  }
}
