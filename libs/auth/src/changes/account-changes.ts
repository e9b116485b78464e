import { Webhooks } from '@gatehouse/audit';
import { AppConfig } from '@gatehouse/config';
import { MailService } from '@gatehouse/mail';
import { User, UserDto, UsersService } from '@gatehouse/users';
import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ApiKeyVerdicts } from '../machine/api-keys/api-key-verdicts';
import { EmailTokens } from '../recovery/email-tokens';
import { SecurityEventFields, SecurityEvents } from '../security-events';
import { ACCOUNT_DISABLED, EMAIL_NOT_VERIFIED } from '../sign-in/sign-in.service';
import { ClientInfo, Revoked, TokenService } from '../tokens/token.service';
import { AuthUser } from '../tokens/token-types';
import { AccountChangeKind, CHANGE_RULES } from './change-kinds';
import { changeNotices } from './change-notices';
import { farewellNotice } from './farewell-notice';
import {
  InsufficientAuthenticationException,
  isRecentSignIn,
  SIGN_IN_TOO_OLD,
} from './insufficient-authentication';

export const ACCOUNT_CHANGED_MEANWHILE = 'the account changed meanwhile; try again';
export const LINK_REFUSED = 'the link is invalid, used or expired';

/**
 * What entitles the caller to the change, checked by the change function in its transaction:
 * - `recent_sign_in`: the caller's own access token, signed in at most REAUTH_MAX_AGE ago;
 * - `password` / `second_factor`: a proof in the body that the caller has just checked, under the credentials
 *   version it read first (a change committed since voids it);
 * - `email_link`: a link the change consumes itself (`apply` returns nothing when it is dead);
 * - `provider_link`: a link flow begun by a session with a recent sign-in, which must still be live;
 * - `session`: a live session of the user is enough (logging out everywhere);
 * - `admin`: an administrator acting on another account.
 */
export type ChangeProof =
  | { readonly kind: 'recent_sign_in'; readonly caller: AuthUser }
  | { readonly kind: 'password'; readonly caller: AuthUser; readonly credentialsVersion: number }
  | { readonly kind: 'second_factor'; readonly caller: AuthUser; readonly credentialsVersion: number }
  | { readonly kind: 'email_link'; readonly keepSessionId?: string }
  | { readonly kind: 'provider_link'; readonly sessionId: string }
  | { readonly kind: 'session'; readonly caller: AuthUser }
  | { readonly kind: 'admin'; readonly adminId: string };

/**
 * The transaction a change runs in, with the user's row locked. Only the change function makes one: the writes
 * to how an account is entered (password, address, factors, passkeys, identities) take it, so none can happen
 * outside that function.
 */
export class ChangeScope {
  /** @internal Made by AccountChanges only. */
  constructor(
    readonly db: EntityManager,
    readonly user: User,
  ) {}
}

/** What `apply` returns when there was nothing to change (a wrong code, a dead link): nothing else happens. */
export const NO_CHANGE = Symbol('no change');

export interface AccountChange<T> {
  readonly kind: AccountChangeKind;
  readonly userId: string;
  readonly proof: ChangeProof;
  readonly client: ClientInfo;
  /** The change itself, in the transaction; NO_CHANGE to stop there. */
  readonly apply: (scope: ChangeScope) => Promise<T | typeof NO_CHANGE>;
  /**
   * For a change whose checks span other accounts (the last administrator): locks their rows before the user's,
   * in a fixed order, so two such changes at once queue instead of deadlocking.
   */
  readonly lockFirst?: (db: EntityManager) => Promise<void>;
  /** Extra fields for the security event (ids, a provider's name): never a secret. */
  readonly details?: Readonly<Record<string, string>>;
}

interface LockedRow {
  user_row: Record<string, unknown>;
  now: Date;
}

/**
 * The one place every change to how an account is entered goes through, as every way in ends in the sign-in
 * function. In one transaction, with the user's row locked, it:
 * 1. checks the proof (a recent sign-in, or the proof the body carried, still valid);
 * 2. refuses a disabled account, and a new way in on an address nobody has proven;
 * 3. applies the change;
 * 4. bumps the credentials version when the change voids sessions, and keeps the caller's own;
 * 5. ends every outstanding reset and email-change link of the account;
 * 6. revokes the sessions the change voids, and has every instance judge the user's API keys again when it
 *    concerns them;
 * 7. queues the notice to the account's address (and the former one after an address change);
 * 8. appends the event to the account's history, and queues the webhooks that report it;
 * (a change that removes the account is applied here, last, and erases what the steps above wrote about it;)
 * then, once committed, stops the revoked sessions' access tokens on this instance and logs the event.
 * A new kind of change is a row in CHANGE_RULES and a call here: it cannot forget a step.
 */
@Injectable()
export class AccountChanges {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly links: EmailTokens,
    private readonly mail: MailService,
    private readonly events: SecurityEvents,
    private readonly apiKeyVerdicts: ApiKeyVerdicts,
    private readonly webhooks: Webhooks,
  ) {}

  /** The change's result, or NO_CHANGE when `apply` found nothing to change. */
  async change<T>(change: AccountChange<T>): Promise<T | typeof NO_CHANGE> {
    const rule = CHANGE_RULES[change.kind];
    this.checkRecency(change.proof);
    const fields: SecurityEventFields = {
      userId: change.userId,
      sessionId: this.callerSession(change.proof),
      adminId: change.proof.kind === 'admin' ? change.proof.adminId : undefined,
      ip: change.client.ip,
      userAgent: change.client.userAgent,
      ...change.details,
    };
    const done = await this.dataSource.transaction(async (db) => {
      await change.lockFirst?.(db);
      const [locked] = await db.query<LockedRow[]>(
        'SELECT to_jsonb(u) AS user_row, clock_timestamp() AS now FROM users u WHERE u.id = $1 FOR UPDATE',
        [change.userId],
      );
      if (!locked) throw this.noSuchAccount(change.proof);
      const before = this.users.fromRow(locked.user_row);
      await this.checkProof(db, change.proof, before);
      const removes = rule.removesAccount === true;
      if (
        before.disabledAt &&
        !removes &&
        change.kind !== 'account_disabled' &&
        change.kind !== 'logout_all'
      ) {
        throw change.proof.kind === 'email_link'
          ? new BadRequestException(LINK_REFUSED)
          : new ForbiddenException(ACCOUNT_DISABLED);
      }
      if (rule.addsWayIn && !before.emailVerifiedAt) {
        throw new ForbiddenException(EMAIL_NOT_VERIFIED);
      }

      const scope = new ChangeScope(db, before);
      // A change that removes the account is applied last (below): it erases what the steps between write.
      const applied = removes ? undefined : await change.apply(scope);
      if (applied === NO_CHANGE) return undefined;

      let revoked: Revoked[] = [];
      if (rule.revokes) {
        await db.query(
          'UPDATE users SET credentials_version = credentials_version + 1, updated_at = now() WHERE id = $1',
          [change.userId],
        );
        const keep = rule.revokes.sessions === 'others' ? this.keptSession(change.proof) : undefined;
        revoked = await this.tokens.voidSessions(db, change.userId, rule.revokes.reason, keep);
      }
      await this.links.endAccountLinks(db, change.userId);
      if (rule.rejudgesApiKeys) await this.apiKeyVerdicts.announce(db, [change.userId]);
      const [row] = await db.query<{ user_row: Record<string, unknown> }[]>(
        'SELECT to_jsonb(u) AS user_row FROM users u WHERE u.id = $1',
        [change.userId],
      );
      const after = this.users.fromRow(row.user_row);
      if (rule.webhook) {
        await this.webhooks.emit(db, rule.webhook, removes ? { id: after.id } : { ...UserDto.from(after) });
      }
      if (rule.told) {
        const facts = { ...rule.told, at: new Date(locked.now), client: change.client };
        const notice = removes ? farewellNotice : changeNotices.changed;
        await this.mail.queue(db, notice(after.email, facts));
        if (after.email !== before.email) {
          await this.mail.queue(db, changeNotices.addressLeft(before.email, after.email, facts));
        }
      }
      if (rule.event) await this.events.store(db, rule.event, fields);
      const result = removes ? await this.removeAccount(change, scope) : (applied as T);
      return { result, revoked };
    });
    if (!done) return NO_CHANGE;
    if (rule.revokes) this.tokens.afterRevocation(done.revoked, change.userId, rule.revokes.reason);
    if (rule.rejudgesApiKeys) this.apiKeyVerdicts.forget([change.userId]);
    if (rule.event) this.events.announce(rule.event, fields);
    return done.result;
  }

  /** The removal, last in its transaction: it has no "nothing to change" (the account is there, locked). */
  private async removeAccount<T>(change: AccountChange<T>, scope: ChangeScope): Promise<T> {
    const removed = await change.apply(scope);
    if (removed === NO_CHANGE) throw new Error(`${change.kind} found nothing to remove`);
    return removed;
  }

  /** Before any work: a token whose sign-in is too old is refused with RFC 9470's answer. */
  private checkRecency(proof: ChangeProof): void {
    if (proof.kind !== 'recent_sign_in') return;
    const maxAge = this.config.tokens.reauthMaxAge;
    if (!isRecentSignIn(proof.caller.authTime, maxAge)) {
      throw new InsufficientAuthenticationException(SIGN_IN_TOO_OLD, maxAge);
    }
  }

  private async checkProof(db: EntityManager, proof: ChangeProof, user: User): Promise<void> {
    switch (proof.kind) {
      case 'password':
      case 'second_factor':
        // Checked against the version read before the (slow) check: a change committed since voids it.
        if (user.credentialsVersion !== proof.credentialsVersion) {
          throw new ConflictException(ACCOUNT_CHANGED_MEANWHILE);
        }
        return;
      case 'provider_link':
        // A link flow begun before a logout, a password change or a reset is void.
        if (!(await this.tokens.isLiveIn(db, proof.sessionId, user.id))) {
          throw new ConflictException(ACCOUNT_CHANGED_MEANWHILE);
        }
        return;
      case 'admin':
        if (proof.adminId === user.id)
          throw new ConflictException('an administrator cannot disable themselves');
        return;
      default:
        return;
    }
  }

  /** The caller's own session, which a change that voids the others keeps. */
  private keptSession(proof: ChangeProof): string | undefined {
    if (proof.kind === 'email_link') return proof.keepSessionId;
    return this.callerSession(proof);
  }

  private callerSession(proof: ChangeProof): string | undefined {
    switch (proof.kind) {
      case 'recent_sign_in':
      case 'password':
      case 'second_factor':
      case 'session':
        return proof.caller.sessionId;
      case 'provider_link':
        return proof.sessionId;
      default:
        return undefined;
    }
  }

  private noSuchAccount(proof: ChangeProof): Error {
    if (proof.kind === 'email_link') return new BadRequestException(LINK_REFUSED);
    return new NotFoundException('user not found');
  }
}
