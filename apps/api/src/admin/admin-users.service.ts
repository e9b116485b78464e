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

  /** Blocks login and ends every session at once: the user's access tokens stop working immediately. */
  async disable(id: string, adminId: string): Promise<void> {
    const user = await this.users.setDisabled(id, true);
    if (!user) throw new NotFoundException('user not found');
    await this.tokens.revokeUserSessions(id, 'account_disabled');
    this.events.record('account.disabled', { userId: id, adminId });
  }

  async enable(id: string, adminId: string): Promise<void> {
    const user = await this.users.setDisabled(id, false);
    if (!user) throw new NotFoundException('user not found');
    this.events.record('account.enabled', { userId: id, adminId });
  }
}
