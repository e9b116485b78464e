import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ChangeScope } from '../changes/account-changes';
import { SignInMethods } from '../sign-in/ways-in';
import { UserIdentity } from './entities/user-identity.entity';
import { ProviderProfile } from './sign-in-provider';

export type AttachOutcome = 'attached' | 'already_attached' | 'in_use';

/** The accounts users have at providers, keyed by `(issuer, subject)`. */
@Injectable()
export class Identities {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly methods: SignInMethods,
  ) {}

  /** The user an identity belongs to, noting the visit and what the provider now says the address is. */
  async signInUserOf(db: EntityManager, profile: ProviderProfile): Promise<string | undefined> {
    const [rows] = await db.query<[{ user_id: string }[], number]>(
      `UPDATE user_identities SET last_used_at = now(), email = $3, email_verified = $4
        WHERE issuer = $1 AND subject = $2
        RETURNING user_id`,
      [profile.issuer, profile.subject, profile.email ?? null, profile.emailVerified],
    );
    return rows[0]?.user_id;
  }

  /** Links the identity to the changing account (a link flow), unless another user has it. */
  link({ db, user }: ChangeScope, provider: string, profile: ProviderProfile): Promise<AttachOutcome> {
    return this.attach(db, user.id, provider, profile);
  }

  /**
   * Attaches the identity to the user unless another user has it: a link (above), or a new account's first
   * identity, in the transaction that creates the account. Decided by the unique index, so two
   * concurrent attachments of one identity give it to one user.
   */
  async attach(
    db: EntityManager,
    userId: string,
    provider: string,
    profile: ProviderProfile,
  ): Promise<AttachOutcome> {
    const inserted = await db.query<{ id: string }[]>(
      `INSERT INTO user_identities (user_id, provider, issuer, subject, email, email_verified)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (issuer, subject) DO NOTHING
       RETURNING id`,
      [userId, provider, profile.issuer, profile.subject, profile.email ?? null, profile.emailVerified],
    );
    if (inserted.length === 1) return 'attached';
    const owner = await this.signInUserOf(db, profile);
    return owner === userId ? 'already_attached' : 'in_use';
  }

  listFor(userId: string): Promise<UserIdentity[]> {
    return this.dataSource
      .getRepository(UserIdentity)
      .find({ where: { userId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /**
   * Detaches one of the user's identities, unless it is their last way to sign in (no password, no other
   * identity, no passkey). The user row is locked, so two concurrent removals cannot take away the last two.
   */
  async unlink({ db, user }: ChangeScope, identityId: string): Promise<{ provider: string }> {
    const ways = await this.methods.lock(db, user.id);
    if (!ways?.identities.includes(identityId)) throw new NotFoundException('identity not found');
    this.methods.assertAnotherBesides(ways, identityId);
    const [[removed]] = await db.query<[{ provider: string }[], number]>(
      'DELETE FROM user_identities WHERE id = $1 AND user_id = $2 RETURNING provider',
      [identityId, user.id],
    );
    return removed;
  }
}
