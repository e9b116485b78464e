import { normalizeEmail } from '@gatehouse/users';
import { ConflictException, Injectable } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { ChangeScope } from './account-changes';

const UNIQUE_VIOLATION = '23505';

/**
 * The writes to the user row that change how the account is entered. Each takes the change function's scope, so
 * none runs outside it; the credentials version is bumped by the change function, not here.
 */
@Injectable()
export class AccountWrites {
  async setPassword({ db, user }: ChangeScope, passwordHash: string): Promise<void> {
    await db.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [
      user.id,
      passwordHash,
    ]);
  }

  /** The address becomes `email`, verified (a link to it proved it); 409 when another account took it meanwhile. */
  async moveToAddress({ db, user }: ChangeScope, email: string): Promise<void> {
    try {
      await db.query(
        'UPDATE users SET email = $2, email_verified_at = now(), updated_at = now() WHERE id = $1',
        [user.id, normalizeEmail(email)],
      );
    } catch (error) {
      const code = error instanceof QueryFailedError && (error.driverError as { code?: string }).code;
      if (code === UNIQUE_VIOLATION) throw new ConflictException('email is already registered');
      throw error;
    }
  }

  /** A reset link proved the address it went to, which is still the account's. */
  async markAddressVerified({ db, user }: ChangeScope): Promise<void> {
    await db.query(
      'UPDATE users SET email_verified_at = COALESCE(email_verified_at, now()), updated_at = now() WHERE id = $1',
      [user.id],
    );
  }

  async disable({ db, user }: ChangeScope): Promise<void> {
    await db.query(
      'UPDATE users SET disabled_at = COALESCE(disabled_at, now()), updated_at = now() WHERE id = $1',
      [user.id],
    );
  }
}
