import { NamedStatement, PreparedStatements } from '@gatehouse/database';
import { ConflictException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, QueryFailedError, Repository } from 'typeorm';
import { normalizeEmail } from './email';
import { User } from './entities/user.entity';
import { PasswordService } from './password.service';

export interface NewUser {
  email: string;
  password: string;
  displayName?: string | null;
  roles?: string[];
  /** Created with the address already verified (the administrator ADMIN_EMAIL names). */
  emailVerified?: boolean;
}

/** The result of a login attempt; the caller must answer unknown_email and wrong_password alike. */
export type CredentialCheck =
  | { outcome: 'verified'; user: User }
  | { outcome: 'wrong_password' | 'no_password'; user: User }
  | { outcome: 'unknown_email' };

/** A user who signs in through a provider that vouched for the address: verified, without a password. */
export interface NewVerifiedUser {
  email: string;
  displayName?: string | null;
}

const UNIQUE_VIOLATION = '23505';

/** The user behind every `GET /api/users/me`: planned once per connection, read from the primary every time. */
const USER_BY_ID: NamedStatement = {
  name: 'gatehouse_user_by_id',
  text: 'SELECT to_jsonb(u) AS user_row FROM users u WHERE u.id = $1',
};

function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
  );
}

/** Users and their credentials. Knows nothing of tokens or HTTP. */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly passwords: PasswordService,
    private readonly statements: PreparedStatements,
  ) {}

  /**
   * Creates a user after the password policy accepts the password; 409 when the email is taken. `alongside`
   * runs in the same transaction as the insert (e.g. to queue the verification email): both happen or neither.
   */
  async create(input: NewUser, alongside?: (db: EntityManager, user: User) => Promise<void>): Promise<User> {
    this.passwords.assertAcceptable(input.password);
    const email = normalizeEmail(input.email);
    if (await this.users.existsBy({ email })) throw new ConflictException('email is already registered');
    const passwordHash = await this.passwords.hash(input.password);
    try {
      return await this.users.manager.transaction(async (db) => {
        const user = await db.getRepository(User).save(
          this.users.create({
            email,
            passwordHash,
            displayName: input.displayName?.trim() || null,
            roles: input.roles ?? ['user'],
            emailVerifiedAt: input.emailVerified ? new Date() : null,
          }),
        );
        await alongside?.(db, user);
        return user;
      });
    } catch (error) {
      // Two registrations of one email racing past the check above: the unique index decides.
      if (isUniqueViolation(error)) throw new ConflictException('email is already registered');
      throw error;
    }
  }

  /**
   * Creates a user without a password (they may set one later by the reset flow), the address verified, in the
   * caller's transaction. Null when the address is taken, even by a creation committed concurrently: the
   * unique index decides, so two first sign-ins of one person make one user.
   */
  async createVerified(db: EntityManager, input: NewVerifiedUser): Promise<User | null> {
    const [row] = await db.query<{ user_row: Record<string, unknown> }[]>(
      `INSERT INTO users (email, password_hash, display_name, email_verified_at)
       VALUES ($1, NULL, $2, now())
       ON CONFLICT (email) DO NOTHING
       RETURNING to_jsonb(users) AS user_row`,
      [normalizeEmail(input.email), input.displayName?.trim().slice(0, 100) || null],
    );
    return row ? this.fromRow(row.user_row) : null;
  }

  async findById(id: string): Promise<User | null> {
    const [row] = await this.statements.rows<{ user_row: Record<string, unknown> }>(USER_BY_ID, [id]);
    return row ? this.fromRow(row.user_row) : null;
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email: normalizeEmail(email) });
  }

  /**
   * A user from a raw `users` row (as `to_jsonb(u)` gives it), mapped through the entity's own column metadata,
   * so a query outside TypeORM's finders can never lose a field the entity has.
   */
  fromRow(row: Record<string, unknown>): User {
    const user = this.users.create();
    for (const column of this.users.metadata.columns) {
      if (!(column.databaseName in row)) throw new Error(`users row lacks ${column.databaseName}`);
      const value = row[column.databaseName];
      const isTime = column.type === 'timestamptz' && value !== null;
      column.setEntityValue(user, isTime ? new Date(value as string) : value);
    }
    return user;
  }

  /**
   * Checks an email and password. Unknown emails cost one argon2 verification too, so timing does not tell
   * them apart. The user is read before the hash is checked, so the credentials version returned is one the
   * password was valid under. Upgrades a hash made with weaker parameters on success.
   */
  async verifyCredentials(email: string, password: string): Promise<CredentialCheck> {
    const user = await this.findByEmail(email);
    if (!user) {
      await this.passwords.verifyDummy(password);
      return { outcome: 'unknown_email' };
    }
    if (user.passwordHash === null) {
      // Signed up through a provider: the same work and the same answer as a wrong password.
      await this.passwords.verifyDummy(password);
      return { outcome: 'no_password', user };
    }
    if (!(await this.passwords.verify(user.passwordHash, password)))
      return { outcome: 'wrong_password', user };
    if (this.passwords.needsRehash(user.passwordHash)) {
      const upgraded = await this.passwords.hash(password);
      // Only over the very hash just verified: a password changed meanwhile is never written back.
      await this.users.query(`UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2`, [
        user.id,
        user.passwordHash,
        upgraded,
      ]);
    }
    return { outcome: 'verified', user };
  }

  async verifyPassword(user: User, password: string): Promise<boolean> {
    if (user.passwordHash === null) return this.passwords.verifyDummy(password);
    return this.passwords.verify(user.passwordHash, password);
  }

  /** Lets a disabled user sign in again (disabling is a change to how the account is entered: auth's). */
  /** Lets the user sign in again; `alongside` runs in the same transaction. False when there is no such user. */
  async enable(id: string, alongside?: (db: EntityManager, user: User) => Promise<void>): Promise<boolean> {
    return this.users.manager.transaction(async (db) => {
      const [rows] = await db.query<[{ user_row: Record<string, unknown> }[], number]>(
        `UPDATE users u SET disabled_at = NULL, updated_at = now() WHERE id = $1 RETURNING to_jsonb(u) AS user_row`,
        [id],
      );
      if (rows.length === 0) return false;
      await alongside?.(db, this.fromRow(rows[0].user_row));
      return true;
    });
  }

  /** Whether an address belongs to an account already (in the caller's transaction when given one). */
  isEmailTaken(email: string, db: EntityManager = this.users.manager): Promise<boolean> {
    return db.getRepository(User).existsBy({ email: normalizeEmail(email) });
  }

  /** Marks the address verified, only if it is still the user's address (a link names the one it went to). */
  async markEmailVerified(db: EntityManager, id: string, email: string): Promise<boolean> {
    const [, updated] = await db.query<[unknown, number]>(
      `UPDATE users SET email_verified_at = COALESCE(email_verified_at, now()), updated_at = now()
        WHERE id = $1 AND email = $2`,
      [id, email],
    );
    return updated === 1;
  }

  /**
   * Changes the profile fields only, never a column another operation owns; `alongside` runs in the same
   * transaction when something changed. Null when there is no such user.
   */
  async updateProfile(
    id: string,
    changes: { displayName?: string | null },
    alongside?: (db: EntityManager, user: User) => Promise<void>,
  ): Promise<User | null> {
    if (changes.displayName === undefined) return this.findById(id);
    return this.users.manager.transaction(async (db) => {
      const [rows] = await db.query<[{ user_row: Record<string, unknown> }[], number]>(
        `UPDATE users u SET display_name = $2, updated_at = now() WHERE id = $1 RETURNING to_jsonb(u) AS user_row`,
        [id, changes.displayName?.trim() || null],
      );
      if (rows.length === 0) return null;
      const user = this.fromRow(rows[0].user_row);
      await alongside?.(db, user);
      return user;
    });
  }

  list(limit: number, offset: number): Promise<[User[], number]> {
    return this.users.findAndCount({ order: { createdAt: 'DESC', id: 'ASC' }, take: limit, skip: offset });
  }
}
