import { Webhooks } from '@gatehouse/audit';
import { AppConfig } from '@gatehouse/config';
import { MailService } from '@gatehouse/mail';
import { normalizeEmail } from '@gatehouse/users';
import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { MembershipChange, MembershipChangeLog, recordMembershipChanges } from '../membership-changes';
import { memberAdded } from '../membership-webhooks';
import { membershipOf } from '../membership-of';
import { isOrgRole, ORG_ROLES, roleAllows } from '../org-roles';
import type { MemberView } from '../organizations.service';
import { invitationLink, invitationMessage } from './invitation-message';
import { invitationTokenHash, isInvitationTokenShaped, newInvitationToken } from './invitation-token';

/** A pending invitation, as those who may invite see it: never its token. */
export interface InvitationView {
  readonly id: string;
  readonly email: string;
  readonly role: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** Who sent it; null once their account is gone. */
  readonly invitedBy: { readonly id: string; readonly email: string } | null;
}

interface InvitationRow {
  id: string;
  email: string;
  role: string;
  created_at: Date;
  expires_at: Date;
  invited_by: string | null;
  inviter_email: string | null;
}

/** What using a token up tells of the invitation it belonged to. */
interface TakenInvitation {
  organization_id: string;
  email: string;
  role: string;
}

export const INVITATION_NOT_FOUND = 'invitation not found';
/** The one answer to a token that is unknown, expired, used, declined, revoked or replaced: it says not which. */
export const DEAD_INVITATION = 'the invitation is invalid, used or expired';
const NOT_ADDRESSED_TO_YOU = 'the invitation is for another address, or your address is not verified yet';
const ALREADY_A_MEMBER = 'that address belongs to a member of the organization already';
const ALREADY_YOURS = 'you are a member of the organization already';
const ONLY_OWNERS = 'only an owner may invite an owner';
const INVITE = 'members:invite';

const viewOf = (row: InvitationRow): InvitationView => ({
  id: row.id,
  email: row.email,
  role: row.role,
  createdAt: new Date(row.created_at),
  expiresAt: new Date(row.expires_at),
  invitedBy: row.invited_by && row.inviter_email ? { id: row.invited_by, email: row.inviter_email } : null,
});

/**
 * Invitations to organizations: sent by a member holding `members:invite` to an address, with a role, by a
 * one-time link mailed through the outbox in the same transaction; accepted or declined by the signed-in user
 * whose verified address it is. Only the token's SHA-256 is stored, and a token is used up by one conditional
 * DELETE, so two concurrent uses give one success. Every change runs under the organization's row lock, as
 * the organization's other changes do; the inviter's role is read there, not taken from an access token.
 */
@Injectable()
export class Invitations {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly mail: MailService,
    private readonly changeLog: MembershipChangeLog,
    private readonly webhooks: Webhooks,
  ) {}

  /**
   * Invites `email` to the organization as `role` and queues the mail; an earlier invitation of that address
   * there dies with its token. 403 for a role above the inviter's (only an owner invites an owner), 409 when the
   * address is a member's already.
   */
  invite(inviterId: string, orgId: string, email: string, role: string): Promise<InvitationView> {
    if (!isOrgRole(role)) throw new BadRequestException(`role must be one of: ${ORG_ROLES.join(', ')}`);
    const address = normalizeEmail(email);
    return this.dataSource.transaction(async (db) => {
      const inviter = await membershipOf(db, inviterId, orgId, { permission: INVITE });
      if (role === 'owner' && inviter.role !== 'owner') throw new ForbiddenException(ONLY_OWNERS);
      const members = await db.query<unknown[]>(
        `SELECT 1 FROM org_memberships m JOIN users u ON u.id = m.user_id
          WHERE m.organization_id = $1 AND u.email = $2`,
        [orgId, address],
      );
      if (members.length > 0) throw new ConflictException(ALREADY_A_MEMBER);
      // The address's earlier invitation is replaced; the organization's expired ones go with it.
      await db.query(
        'DELETE FROM org_invitations WHERE organization_id = $1 AND (email = $2 OR expires_at <= now())',
        [orgId, address],
      );
      const [sender] = await db.query<{ email: string; email_verified_at: Date | null }[]>(
        'SELECT email, email_verified_at FROM users WHERE id = $1',
        [inviterId],
      );
      const ttl = this.config.orgs.invitationTtl;
      const { token, hash } = newInvitationToken();
      const [row] = await db.query<InvitationRow[]>(
        `INSERT INTO org_invitations (organization_id, email, role, token_hash, invited_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 second')
         RETURNING id, email, role, created_at, expires_at, invited_by`,
        [orgId, address, role, hash, inviterId, ttl],
      );
      const invitation = viewOf({ ...row, inviter_email: sender.email });
      await this.mail.queue(
        db,
        invitationMessage({
          to: address,
          link: invitationLink(this.config.urls.appUrl, token),
          organizationName: inviter.name,
          role,
          // An address never proven is anyone's claim: the message names no one rather than repeat it.
          inviterEmail: sender.email_verified_at ? sender.email : null,
          ttlSeconds: ttl,
          expiresAt: invitation.expiresAt,
        }),
      );
      return invitation;
    });
  }

  /** The organization's pending invitations, oldest first; for those who may invite. */
  async listPending(callerId: string, orgId: string): Promise<InvitationView[]> {
    const caller = await membershipOf(this.dataSource.manager, callerId, orgId);
    if (!roleAllows(caller.role, INVITE))
      throw new ForbiddenException(`your role (${caller.role}) may not do this`);
    const rows = await this.dataSource.query<InvitationRow[]>(
      `SELECT i.id, i.email, i.role, i.created_at, i.expires_at, i.invited_by, u.email AS inviter_email
         FROM org_invitations i LEFT JOIN users u ON u.id = i.invited_by
        WHERE i.organization_id = $1 AND i.expires_at > now()
        ORDER BY i.created_at, i.id`,
      [orgId],
    );
    return rows.map(viewOf);
  }

  /** Withdraws a pending invitation: its token dies. 404 when the organization has no such pending one. */
  async revoke(callerId: string, orgId: string, invitationId: string): Promise<void> {
    await this.dataSource.transaction(async (db) => {
      await membershipOf(db, callerId, orgId, { permission: INVITE });
      // An expired one is deleted too, and answered as the list shows it: gone.
      const [rows] = await db.query<[{ pending: boolean }[], number]>(
        `DELETE FROM org_invitations WHERE id = $1 AND organization_id = $2
         RETURNING expires_at > now() AS pending`,
        [invitationId, orgId],
      );
      if (!rows[0]?.pending) throw new NotFoundException(INVITATION_NOT_FOUND);
    });
  }

  /**
   * Joins the organization with the invitation's role. The token is used up only if everything holds: the
   * caller's verified address is the invited one (403 otherwise) and the caller is not a member yet (409);
   * either refusal leaves the invitation usable. Unknown, expired or used up: 404, whichever it is.
   */
  async accept(userId: string, token: string): Promise<MemberView> {
    if (!isInvitationTokenShaped(token)) throw new NotFoundException(DEAD_INVITATION);
    const hash = invitationTokenHash(token);
    let changes: MembershipChange[] = [];
    const membership = await this.dataSource.transaction(async (db) => {
      const [found] = await db.query<{ organization_id: string }[]>(
        'SELECT organization_id FROM org_invitations WHERE token_hash = $1',
        [hash],
      );
      if (!found) throw new NotFoundException(DEAD_INVITATION);
      // A new membership is a change to the organization: it queues behind the others, a deletion included.
      const [org] = await db.query<{ id: string; name: string; created_at: Date }[]>(
        'SELECT id, name, created_at FROM organizations WHERE id = $1 FOR UPDATE',
        [found.organization_id],
      );
      const invitation = org && (await this.takeInvitation(db, hash));
      if (!invitation || invitation.organization_id !== org.id) throw new NotFoundException(DEAD_INVITATION);
      await this.assertAddressedTo(db, userId, invitation.email);
      const joined = await db.query<unknown[]>(
        `INSERT INTO org_memberships (organization_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING role`,
        [org.id, userId, invitation.role],
      );
      if (joined.length === 0) throw new ConflictException(ALREADY_YOURS);
      await memberAdded(this.webhooks, db, org.id, userId, invitation.role);
      // Joining again soon after leaving: the role now held is what the member's next tokens may claim.
      changes = await recordMembershipChanges(db, org.id, [userId], invitation.role);
      return { id: org.id, name: org.name, createdAt: new Date(org.created_at), role: invitation.role };
    });
    this.changeLog.published(changes);
    return membership;
  }

  /** Turns the invitation down: it dies. The same rules as accepting: 404 for a dead token, 403 if not yours. */
  async decline(userId: string, token: string): Promise<void> {
    if (!isInvitationTokenShaped(token)) throw new NotFoundException(DEAD_INVITATION);
    await this.dataSource.transaction(async (db) => {
      const invitation = await this.takeInvitation(db, invitationTokenHash(token));
      if (!invitation) throw new NotFoundException(DEAD_INVITATION);
      await this.assertAddressedTo(db, userId, invitation.email);
    });
  }

  /** Uses the live invitation with this token hash up, atomically; the caller's transaction undoes it on a refusal. */
  private async takeInvitation(db: EntityManager, hash: string): Promise<TakenInvitation | undefined> {
    const [rows] = await db.query<[TakenInvitation[], number]>(
      `DELETE FROM org_invitations WHERE token_hash = $1 AND expires_at > now()
       RETURNING organization_id, email, role`,
      [hash],
    );
    return rows[0];
  }

  /** 403 unless the user's address, verified, is the one the invitation was sent to (both normalised). */
  private async assertAddressedTo(db: EntityManager, userId: string, invited: string): Promise<void> {
    const [user] = await db.query<{ email: string; email_verified_at: Date | null }[]>(
      'SELECT email, email_verified_at FROM users WHERE id = $1',
      [userId],
    );
    if (!user?.email_verified_at || normalizeEmail(user.email) !== normalizeEmail(invited)) {
      throw new ForbiddenException(NOT_ADDRESSED_TO_YOU);
    }
  }
}
