import { ConflictException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { normalizeEmail } from './email';
import { User } from './entities/user.entity';
import { PasswordService } from './password.service';

export interface NewUser {
  email: string;
  password: string;
  displayName?: string | null;
  roles?: string[];
}

/** The result of a login attempt; the caller must answer unknown_email and wrong_password alike. */
export type CredentialCheck =
  | { outcome: 'verified'; user: User }
  | { outcome: 'wrong_password'; user: User }
  | { outcome: 'unknown_email' };

const UNIQUE_VIOLATION = '23505';

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
  ) {}

  /** Creates a user after the password policy accepts the password; 409 when the email is taken. */
  async create(input: NewUser): Promise<User> {
    this.passwords.assertAcceptable(input.password);
    const email = normalizeEmail(input.email);
    if (await this.users.existsBy({ email })) throw new ConflictException('email is already registered');
    const passwordHash = await this.passwords.hash(input.password);
    try {
      return await this.users.save(
        this.users.create({
          email,
          passwordHash,
          displayName: input.displayName?.trim() || null,
          roles: input.roles ?? ['user'],
        }),
      );
    } catch (error) {
      // Two registrations of one email racing past the check above: the unique index decides.
      if (isUniqueViolation(error)) throw new ConflictException('email is already registered');
      throw error;
    }
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email: normalizeEmail(email) });
  }

  /**
   * Checks an email and password. Unknown emails cost one argon2 verification too, so timing does not tell
   * them apart. Upgrades a hash made with weaker parameters on success.
   */
  async verifyCredentials(email: string, password: string): Promise<CredentialCheck> {
    const user = await this.findByEmail(email);
    if (!user) {
      await this.passwords.verifyDummy(password);
      return { outcome: 'unknown_email' };
    }
    if (!(await this.passwords.verify(user.passwordHash, password)))
      return { outcome: 'wrong_password', user };
    if (this.passwords.needsRehash(user.passwordHash)) {
      user.passwordHash = await this.passwords.hash(password);
      await this.users.update({ id: user.id }, { passwordHash: user.passwordHash });
    }
    return { outcome: 'verified', user };
  }

  async verifyPassword(user: User, password: string): Promise<boolean> {
    return this.passwords.verify(user.passwordHash, password);
  }

  /** Sets a new password after the policy accepts it. */
  async changePassword(user: User, newPassword: string): Promise<void> {
    this.passwords.assertAcceptable(newPassword, 'newPassword');
    const passwordHash = await this.passwords.hash(newPassword);
    await this.users.update({ id: user.id }, { passwordHash });
  }

  async updateProfile(user: User, changes: { displayName?: string | null }): Promise<User> {
    if (changes.displayName !== undefined) user.displayName = changes.displayName?.trim() || null;
    return this.users.save(user);
  }

  async setDisabled(id: string, disabled: boolean): Promise<User | null> {
    const user = await this.findById(id);
    if (!user) return null;
    user.disabledAt = disabled ? (user.disabledAt ?? new Date()) : null;
    return this.users.save(user);
  }

  list(limit: number, offset: number): Promise<[User[], number]> {
    return this.users.findAndCount({ order: { createdAt: 'DESC', id: 'ASC' }, take: limit, skip: offset });
  }
}
