import { Webhooks } from '@gatehouse/audit';
import { AppConfig } from '@gatehouse/config';
import { MailService } from '@gatehouse/mail';
import { UserDto, UsersService } from '@gatehouse/users';
import { Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AfterAnswer } from '../after-answer';
import { SecurityEvent, SecurityEventFields, SecurityEvents } from '../security-events';
import { SignInProof } from '../sign-in/sign-in.service';
import { ClientInfo } from '../tokens/token.service';
import { emailCodeMessage } from './email-code-message';
import { EmailCodes } from './email-codes';

export const BAD_CODE = 'the code is wrong, used or expired';

interface AccountRow {
  id: string;
  credentials_version: number;
  email_verified_at: Date | null;
}

/** What the proof's transaction stored, to be announced once it has committed. */
type Stored = [SecurityEvent, SecurityEventFields];

/**
 * Sign-in with a code sent by email, up to the proof: sending a code (after the answer, so a known and an unknown
 * address look alike) and checking one. Whether the user may then sign in (disabled, second factor, DPoP) is the
 * sign-in function's call, as for every way in.
 */
@Injectable()
export class EmailCodeSignIn {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly codes: EmailCodes,
    private readonly mail: MailService,
    private readonly events: SecurityEvents,
    private readonly webhooks: Webhooks,
    private readonly afterAnswer: AfterAnswer,
  ) {}

  /** Sends a code once the caller has answered; `email` is normalised. */
  sendLater(email: string, client: ClientInfo): void {
    this.afterAnswer.run('a sign-in code request', () => this.send(email, client));
  }

  /**
   * A code to the address when it is an account's (or, with EMAIL_CODE_SIGNUP, to any address): the code and its
   * mail in one transaction. Nothing is stored or sent for an unknown address otherwise.
   */
  async send(email: string, client: ClientInfo): Promise<void> {
    const { ttl, signup } = this.config.emailCode;
    const user = await this.users.findByEmail(email);
    const where = { ip: client.ip, userAgent: client.userAgent };
    if (!user && !signup) {
      this.events.record('email_code.sent', { known: false, sent: false, ...where });
      return;
    }
    const sent = { userId: user?.id, known: Boolean(user), sent: true, ...where };
    await this.dataSource.transaction(async (db) => {
      const { code, expiresAt } = await this.codes.issue(db, email, user?.id ?? null, ttl);
      await this.mail.queue(db, emailCodeMessage(email, code, ttl, expiresAt, !user));
      await this.events.store(db, 'email_code.sent', sent);
    });
    this.events.announce('email_code.sent', sent);
  }

  /**
   * Checks a code and answers the proof of a sign-in: the account the address belongs to, its address now
   * verified (the code proved it). With EMAIL_CODE_SIGNUP, a code sent to an address with no account creates it,
   * verified and without a password. A wrong, used, expired or replaced code, or one whose address has changed
   * hands since it was sent, is a 401; every try counts, and the fifth ends the code.
   */
  async prove(email: string, typed: string, client: ClientInfo): Promise<SignInProof> {
    const result = await this.dataSource.transaction(async (db) => {
      const tried = await this.codes.tryCode(db, email, typed);
      if (!tried?.matched) {
        return {
          refused: { userId: tried?.userId ?? undefined, reason: tried ? 'wrong_code' : 'no_live_code' },
        };
      }
      const stored: Stored[] = [];
      const account = await this.accountFor(db, email, tried.userId, client, stored);
      if (typeof account === 'string')
        return { refused: { userId: tried.userId ?? undefined, reason: account } };
      if (!account.email_verified_at) {
        await this.users.markEmailVerified(db, account.id, email);
        stored.push(['email.verified', { userId: account.id, by: 'email_code' }]);
      }
      for (const [event, fields] of stored) await this.events.store(db, event, fields);
      const proof: SignInProof = {
        userId: account.id,
        credentialsVersion: account.credentials_version,
        amr: ['otp'],
      };
      return { proof, stored };
    });
    if ('refused' in result) {
      this.events.record('login.failed', { ...result.refused, amr: ['otp'] });
      throw new UnauthorizedException(BAD_CODE);
    }
    for (const [event, fields] of result.stored) this.events.announce(event, fields);
    return result.proof;
  }

  /**
   * The account a matched code signs in, or why none: a code sent to an account enters it while the address is
   * still its; a sign-up code creates the account on its first use, unless sign-up is off now or the address has
   * become an account's since (that account is not entered by a code sent before it existed).
   */
  private async accountFor(
    db: EntityManager,
    email: string,
    sentTo: string | null,
    client: ClientInfo,
    stored: Stored[],
  ): Promise<AccountRow | 'address_changed_hands' | 'sign_up_off'> {
    const [holder] = await db.query<AccountRow[]>(
      'SELECT id, credentials_version, email_verified_at FROM users WHERE email = $1',
      [email],
    );
    if (sentTo) return holder?.id === sentTo ? holder : 'address_changed_hands';
    if (holder) return 'address_changed_hands';
    if (!this.config.emailCode.signup) return 'sign_up_off';
    const user = await this.users.createVerified(db, { email });
    if (!user) return 'address_changed_hands';
    await this.codes.claim(db, email, user.id);
    await this.webhooks.emit(db, 'user.created', { ...UserDto.from(user) });
    stored.push([
      'account.created',
      { userId: user.id, by: 'email_code', ip: client.ip, userAgent: client.userAgent },
    ]);
    // Created verified: the code it was proven with is the verification.
    return {
      id: user.id,
      credentials_version: user.credentialsVersion,
      email_verified_at: user.emailVerifiedAt,
    };
  }
}
