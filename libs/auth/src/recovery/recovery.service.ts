import { Webhooks } from '@gatehouse/audit';
import { AppConfig } from '@gatehouse/config';
import { MailService } from '@gatehouse/mail';
import { NewUser, normalizeEmail, PasswordService, User, UserDto, UsersService } from '@gatehouse/users';
import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AfterAnswer } from '../after-answer';
import { AccountChanges, NO_CHANGE } from '../changes/account-changes';
import { AccountWrites } from '../changes/account-writes';
import { MfaService } from '../mfa/mfa.service';
import { SecondFactorAnswer } from '../mfa/second-factor-check';
import { SecurityEvents } from '../security-events';
import { AccountAttempts } from '../throttling/account-attempts';
import { ClientInfo, TokenService } from '../tokens/token.service';
import { AuthUser } from '../tokens/token-types';
import { EmailTokens } from './email-tokens';
import { linkTo, recoveryMessages } from './recovery-messages';

export const BAD_LINK = 'the link is invalid, used or expired';

/**
 * Verification of an address and recovery of a forgotten password, by one-time links sent through the durable
 * outbox: each link is stored in the same transaction as the message that carries it.
 */
@Injectable()
export class RecoveryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly links: EmailTokens,
    private readonly mail: MailService,
    private readonly attempts: AccountAttempts,
    private readonly events: SecurityEvents,
    private readonly mfa: MfaService,
    private readonly changes: AccountChanges,
    private readonly writes: AccountWrites,
    private readonly webhooks: Webhooks,
    private readonly afterAnswer: AfterAnswer,
  ) {}

  /** Registers a user and queues the verification email (and the `user.created` webhooks) in one transaction. */
  async register(input: NewUser, client: ClientInfo): Promise<User> {
    const created = { ip: client.ip, userAgent: client.userAgent };
    const user = await this.users.create(input, async (db, user) => {
      await this.queueVerification(db, user);
      await this.events.store(db, 'account.created', { userId: user.id, ...created });
      await this.webhooks.emit(db, 'user.created', { ...UserDto.from(user) });
    });
    this.events.announce('account.created', { userId: user.id, ...created });
    return user;
  }

  /** A fresh verification link for the caller; the earlier ones stop working. */
  async resendVerification(caller: AuthUser): Promise<void> {
    const user = await this.users.findById(caller.id);
    if (!user) throw new NotFoundException('user not found');
    if (user.emailVerifiedAt) throw new ConflictException('email is already verified');
    await this.attempts.countRecovery(user.email);
    await this.dataSource.transaction((db) => this.queueVerification(db, user));
  }

  async verifyEmail(token: string): Promise<void> {
    const verified = await this.dataSource.transaction(async (db) => {
      const link = await this.links.consume(db, token, 'verify_email');
      // A link names the address it went to: once the user has moved to another, it proves nothing.
      if (!link || !(await this.users.markEmailVerified(db, link.userId, link.email))) return undefined;
      await this.events.store(db, 'email.verified', { userId: link.userId });
      return link;
    });
    if (!verified) throw new BadRequestException(BAD_LINK);
    this.events.announce('email.verified', { userId: verified.userId });
  }

  /**
   * Starts forgotPassword and returns at once, so the answer cannot tell a known address from an unknown one by
   * its timing (AfterAnswer retries it while the database is away, and shutdown waits for it).
   */
  forgotPasswordLater(email: string): void {
    this.afterAnswer.run('a password reset request', () => this.forgotPassword(email));
  }

  /**
   * Queues a reset link when the account exists. The answer never tells: an unknown address costs the same
   * token, hash and transaction, and nothing is sent (the caller answers 202 either way, before any sending).
   */
  async forgotPassword(email: string): Promise<void> {
    const user = await this.users.findByEmail(email);
    await this.dataSource.transaction(async (db) => {
      if (!user) {
        // The same shape of work as below, to the same table, with nothing kept.
        await db.query('SELECT 1 FROM email_tokens WHERE token_hash = $1', [randomBytes(32).toString('hex')]);
        return;
      }
      const ttl = this.config.recovery.resetTtl;
      const { token, expiresAt } = await this.links.issue(db, {
        userId: user.id,
        purpose: 'password_reset',
        email: user.email,
        ttlSeconds: ttl,
      });
      const link = linkTo(this.config.urls.appUrl, 'reset-password', token);
      await this.mail.queue(db, recoveryMessages.resetPassword(user.email, link, ttl, expiresAt));
      await this.events.store(db, 'password.reset_requested', { userId: user.id, known: true });
    });
    if (user) this.events.announce('password.reset_requested', { userId: user.id, known: true });
    else this.events.record('password.reset_requested', { known: false });
  }

  /**
   * Sets a new password with a reset link: the password policy is checked first (a refusal leaves the link
   * usable), then the change function uses the link up, sets the password, marks the address verified (the link
   * proved it), revokes every session and tells the account's address. No session is started. The link works
   * only while the account's address is still the one it was sent to. With the second factor on, a link alone is
   * not enough: a code or a recovery code must come with it (the link stays usable until).
   */
  async resetPassword(
    token: string,
    newPassword: string,
    answer: SecondFactorAnswer,
    client: ClientInfo,
  ): Promise<void> {
    this.passwords.assertAcceptable(newPassword, 'newPassword');
    const pending = await this.links.peek(this.dataSource.manager, token, 'password_reset');
    if (!pending) throw new BadRequestException(BAD_LINK);
    await this.mfa.proveIfOn(pending.userId, answer);
    const passwordHash = await this.passwords.hash(newPassword);
    const reset = await this.changes.change({
      kind: 'password_reset',
      userId: pending.userId,
      proof: { kind: 'email_link' },
      client,
      apply: async (scope) => {
        const link = await this.links.consume(scope.db, token, 'password_reset');
        if (!link || link.userId !== scope.user.id || link.email !== scope.user.email) return NO_CHANGE;
        await this.writes.setPassword(scope, passwordHash);
        await this.writes.markAddressVerified(scope);
        return true;
      },
    });
    if (reset === NO_CHANGE) throw new BadRequestException(BAD_LINK);
  }

  /**
   * Asks to move the caller to a new address: the current password is checked (counted like a login attempt),
   * a link goes to the new address and a notice to the old one; nothing changes until the link is used.
   */
  async requestEmailChange(caller: AuthUser, newEmail: string, currentPassword: string): Promise<void> {
    const user = await this.users.findById(caller.id);
    if (!user) throw new NotFoundException('user not found');
    await this.attempts.countRecovery(user.email);
    await this.attempts.countLogin(user.email);
    if (!(await this.users.verifyPassword(user, currentPassword))) {
      this.events.record('password.change_failed', { userId: user.id, sessionId: caller.sessionId });
      throw new ForbiddenException('current password is wrong');
    }
    const target = normalizeEmail(newEmail);
    if (target === user.email || (await this.users.isEmailTaken(target))) {
      throw new ConflictException('email is already registered');
    }
    const ttl = this.config.recovery.resetTtl;
    const requested = { userId: user.id, sessionId: caller.sessionId };
    await this.dataSource.transaction(async (db) => {
      const { token, expiresAt } = await this.links.issue(db, {
        userId: user.id,
        purpose: 'email_change',
        email: target,
        ttlSeconds: ttl,
        sessionId: caller.sessionId,
      });
      const link = linkTo(this.config.urls.appUrl, 'confirm-email', token);
      await this.mail.queue(db, recoveryMessages.confirmNewEmail(target, link, ttl, expiresAt));
      await this.mail.queue(db, recoveryMessages.emailChangeRequested(user.email, target));
      await this.events.store(db, 'email.change_requested', requested);
    });
    this.events.announce('email.change_requested', requested);
  }

  /**
   * Uses an email-change link: through the change function, the user's address becomes the new one, verified,
   * every session but the one that asked for the change is revoked, and both addresses are told. The link works
   * only while that session is live (a logout, a password change or a reset ends it). 409 when the address was
   * taken meanwhile (the link then stays usable).
   */
  async confirmEmailChange(token: string, client: ClientInfo): Promise<void> {
    const pending = await this.links.peek(this.dataSource.manager, token, 'email_change');
    if (!pending) throw new BadRequestException(BAD_LINK);
    const changed = await this.changes.change({
      kind: 'email_changed',
      userId: pending.userId,
      proof: { kind: 'email_link', keepSessionId: pending.sessionId ?? undefined },
      client,
      apply: async (scope) => {
        const link = await this.links.consume(scope.db, token, 'email_change');
        if (!link || link.userId !== scope.user.id || link.sessionId !== pending.sessionId) return NO_CHANGE;
        if (!link.sessionId || !(await this.tokens.isLiveIn(scope.db, link.sessionId, scope.user.id))) {
          return NO_CHANGE;
        }
        await this.writes.moveToAddress(scope, link.email);
        return true;
      },
    });
    if (changed === NO_CHANGE) throw new BadRequestException(BAD_LINK);
  }

  private async queueVerification(db: EntityManager, user: User): Promise<void> {
    const ttl = this.config.recovery.verificationTtl;
    const email = normalizeEmail(user.email);
    const { token, expiresAt } = await this.links.issue(db, {
      userId: user.id,
      purpose: 'verify_email',
      email,
      ttlSeconds: ttl,
    });
    const link = linkTo(this.config.urls.appUrl, 'verify-email', token);
    await this.mail.queue(db, recoveryMessages.verifyEmail(email, link, ttl, expiresAt));
  }
}
