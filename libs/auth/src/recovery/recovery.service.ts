import { AppConfig } from '@gatehouse/config';
import { MailService } from '@gatehouse/mail';
import { NewUser, normalizeEmail, PasswordService, User, UsersService } from '@gatehouse/users';
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
import { MfaService } from '../mfa/mfa.service';
import { SecondFactorAnswer } from '../mfa/second-factor-check';
import { SecurityEvents } from '../security-events';
import { AccountAttempts } from '../throttling/account-attempts';
import { TokenService } from '../tokens/token.service';
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
  ) {}

  /** Registers a user and queues the verification email in the same transaction. */
  register(input: NewUser): Promise<User> {
    return this.users.create(input, (db, user) => this.queueVerification(db, user));
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
      return link;
    });
    if (!verified) throw new BadRequestException(BAD_LINK);
    this.events.record('email.verified', { userId: verified.userId });
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
    });
    this.events.record('password.reset_requested', { userId: user?.id, known: user !== null });
  }

  /**
   * Sets a new password with a reset link: the password policy is checked first (a refusal leaves the link
   * usable), then, in one transaction, the link is used up, the password set, the address marked verified (the
   * link proved it), every session revoked and a notice queued. No session is started. With the second factor
   * on, a link alone is not enough: a code or a recovery code must come with it (the link stays usable until).
   */
  async resetPassword(token: string, newPassword: string, answer: SecondFactorAnswer = {}): Promise<void> {
    this.passwords.assertAcceptable(newPassword, 'newPassword');
    const pending = await this.links.peek(this.dataSource.manager, token, 'password_reset');
    if (!pending) throw new BadRequestException(BAD_LINK);
    await this.mfa.proveIfOn(pending.userId, answer);
    const passwordHash = await this.passwords.hash(newPassword);
    const reset = await this.tokens.changeCredentials(pending.userId, 'password_reset', async (db) => {
      const link = await this.links.consume(db, token, 'password_reset');
      if (!link || link.userId !== pending.userId) return false;
      await this.users.setPasswordHash(db, link.userId, passwordHash);
      await this.users.markEmailVerified(db, link.userId, link.email);
      await this.mail.queue(db, recoveryMessages.passwordWasReset(link.email));
      return true;
    });
    if (!reset) throw new BadRequestException(BAD_LINK);
    this.events.record('password.reset', { userId: pending.userId });
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
    });
    this.events.record('email.change_requested', { userId: user.id, sessionId: caller.sessionId });
  }

  /**
   * Uses an email-change link: the user's address becomes the new one, verified, and every session but the one
   * that asked for the change is revoked, in one transaction. 409 when the address was taken meanwhile (the
   * link then stays usable).
   */
  async confirmEmailChange(token: string): Promise<void> {
    const pending = await this.links.peek(this.dataSource.manager, token, 'email_change');
    if (!pending) throw new BadRequestException(BAD_LINK);
    const changed = await this.tokens.changeCredentials(
      pending.userId,
      'email_changed',
      async (db) => {
        const link = await this.links.consume(db, token, 'email_change');
        if (!link || link.userId !== pending.userId) return false;
        return this.users.changeEmail(db, link.userId, link.email);
      },
      pending.sessionId ?? undefined,
    );
    if (!changed) throw new BadRequestException(BAD_LINK);
    this.events.record('email.changed', { userId: pending.userId });
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
