import { Webhooks } from '@gatehouse/audit';
import {
  AccountChanges,
  AccountDeletion,
  AccountWrites,
  ApiKeyVerdicts,
  ClientInfo,
  keepAnAdministrator,
  lockAdministratorsFor,
  SecurityEvents,
} from '@gatehouse/auth';
import { User, UserDto, UsersService } from '@gatehouse/users';
import { Injectable, NotFoundException } from '@nestjs/common';

export const LAST_ADMIN = 'the last enabled administrator cannot be disabled';

/** What an administrator may do to accounts. */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: UsersService,
    private readonly changes: AccountChanges,
    private readonly writes: AccountWrites,
    private readonly events: SecurityEvents,
    private readonly apiKeyVerdicts: ApiKeyVerdicts,
    private readonly webhooks: Webhooks,
    private readonly deletion: AccountDeletion,
  ) {}

  list(limit: number, offset: number): Promise<[User[], number]> {
    return this.users.list(limit, offset);
  }

  /**
   * Blocks login and ends every session, through the change function: the user's access tokens stop working at
   * once, and a sign-in in flight fails. Never the caller's own account, nor the last enabled administrator (409):
   * nobody could administer the server after that.
   */
  async disable(id: string, adminId: string, client: ClientInfo): Promise<void> {
    await this.changes.change({
      kind: 'account_disabled',
      userId: id,
      proof: { kind: 'admin', adminId },
      client,
      lockFirst: (db) => lockAdministratorsFor(db, id),
      apply: async (scope) => {
        await keepAnAdministrator(scope, LAST_ADMIN);
        await this.writes.disable(scope);
        return true;
      },
    });
  }

  /**
   * Deletes the account and everything it held, as its owner can (AccountDeletion): never the caller's own
   * account here, nor the last enabled administrator, nor the last owner of an organization with other members
   * (409); 404 for no such user.
   */
  delete(id: string, adminId: string, client: ClientInfo): Promise<void> {
    return this.deletion.deleteAsAdmin(id, adminId, client);
  }

  async enable(id: string, adminId: string): Promise<void> {
    const enabled = { userId: id, adminId };
    const found = await this.users.enable(id, async (db, user) => {
      await this.events.store(db, 'account.enabled', enabled);
      await this.webhooks.emit(db, 'user.enabled', { ...UserDto.from(user) });
    });
    if (!found) throw new NotFoundException('user not found');
    // The user's API keys were refused while disabled: every instance judges them again.
    await this.apiKeyVerdicts.rejudge([id]);
    this.events.announce('account.enabled', enabled);
  }
}
