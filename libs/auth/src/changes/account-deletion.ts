import { AuditTrail } from '@gatehouse/audit';
import { AfterErase, UserData } from '@gatehouse/users';
import { ConflictException, Injectable } from '@nestjs/common';
import { ClientInfo } from '../tokens/token.service';
import { AuthUser } from '../tokens/token-types';
import { AccountChanges, ChangeProof } from './account-changes';
import { keepAnAdministrator, lockAdministratorsFor } from './last-administrator';

export const LAST_ADMIN_DELETION = 'the last enabled administrator cannot be deleted';
export const ADMIN_DELETING_SELF =
  'an administrator cannot delete their own account as administrator: use DELETE /api/users/me';

/**
 * Deleting an account, through the change function (kind `account_deleted`): every session revoked, the last
 * notice queued to the address the account had, the event and the `user.deleted` webhook; then, last in the
 * same transaction, everything the users' data registry knows of the user is erased (the parts that may refuse
 * first), the history reduced to ids and types, and the user row deleted. A refusal anywhere leaves all as it
 * was. Never the last enabled administrator: nobody could administer the server after that.
 */
@Injectable()
export class AccountDeletion {
  constructor(
    private readonly changes: AccountChanges,
    private readonly userData: UserData,
    private readonly trail: AuditTrail,
  ) {}

  /** The caller deletes their own account, with a recent sign-in. */
  deleteOwn(caller: AuthUser, client: ClientInfo): Promise<void> {
    return this.delete(caller.id, { kind: 'recent_sign_in', caller }, client);
  }

  /** An administrator deletes another account (their own: 409, as for disabling). */
  async deleteAsAdmin(userId: string, adminId: string, client: ClientInfo): Promise<void> {
    if (userId === adminId) throw new ConflictException(ADMIN_DELETING_SELF);
    await this.delete(userId, { kind: 'admin', adminId }, client);
  }

  private async delete(userId: string, proof: ChangeProof, client: ClientInfo): Promise<void> {
    // Events this process still holds for the account are written first, so that the erasure reaches them.
    await this.trail.settled();
    let afterwards: AfterErase[] = [];
    await this.changes.change({
      kind: 'account_deleted',
      userId,
      proof,
      client,
      // An administrator's deletion is decided with every enabled administrator's row locked in one order, as a
      // disable is: two of them deleting each other at once leave one.
      lockFirst: (db) => lockAdministratorsFor(db, userId),
      apply: async (scope) => {
        await keepAnAdministrator(scope, LAST_ADMIN_DELETION);
        afterwards = await this.userData.erase(scope.db, scope.user.id);
        return true;
      },
    });
    for (const then of afterwards) then();
  }
}
