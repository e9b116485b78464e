import { Webhooks } from '@gatehouse/audit';
import { UserDataPart } from '@gatehouse/users';
import { ConflictException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { MembershipChange, MembershipChangeLog, recordMembershipChanges } from './membership-changes';
import { membersRemoved } from './membership-webhooks';

interface PlaceRow {
  id: string;
  name: string;
  role: string;
  members: number;
  owners: number;
}

const ADDRESS_OF = '(SELECT email FROM users WHERE id = $1)';

/** 409 for the last owner of an organization that others still work in: it would be left without an owner. */
function lastOwnerOf(name: string): ConflictException {
  return new ConflictException(
    `you are the last owner of the organization "${name}", which has other members: make one of them an owner, ` +
      'or delete the organization, first',
  );
}

/**
 * What the organizations keep about a user: their memberships, and the invitations addressed to them. Nothing
 * about the other members is exported. Erasing refuses (409) when the user is the last owner of an organization
 * with other members; an organization where they are alone goes with everything in it; every membership ended
 * is told as the members routes tell it (webhook, and the change announced so tokens claiming it stop), and the
 * change log forgets the user once the announcement is made.
 */
export function membershipData(changeLog: MembershipChangeLog, webhooks: Webhooks): UserDataPart[] {
  return [
    {
      name: 'memberships',
      tables: ['org_memberships', 'org_membership_changes'],
      mayRefuse: true,
      export: (db: EntityManager, userId: string) =>
        db.query<Record<string, unknown>[]>(
          `SELECT o.id AS "organizationId", o.name, m.role, m.created_at AS "joinedAt"
             FROM org_memberships m JOIN organizations o ON o.id = m.organization_id
            WHERE m.user_id = $1
            ORDER BY m.created_at DESC, o.id`,
          [userId],
        ),
      erase: async (db: EntityManager, userId: string) => {
        // Each organization's row locked, in one order, as every change to its members does: changes queue.
        await db.query(
          `SELECT o.id FROM organizations o JOIN org_memberships m ON m.organization_id = o.id
            WHERE m.user_id = $1 ORDER BY o.id FOR UPDATE OF o`,
          [userId],
        );
        const places = await db.query<PlaceRow[]>(
          `SELECT o.id, o.name, m.role,
                  (SELECT count(*)::int FROM org_memberships a WHERE a.organization_id = o.id) AS members,
                  (SELECT count(*)::int FROM org_memberships a
                    WHERE a.organization_id = o.id AND a.role = 'owner') AS owners
             FROM organizations o JOIN org_memberships m ON m.organization_id = o.id AND m.user_id = $1
            ORDER BY o.id`,
          [userId],
        );
        const stranded = places.find((p) => p.role === 'owner' && p.owners === 1 && p.members > 1);
        if (stranded) throw lastOwnerOf(stranded.name);

        const alone = places.filter((p) => p.members === 1).map((p) => p.id);
        await db.query('DELETE FROM organizations WHERE id = ANY($1::uuid[])', [alone]);
        await db.query('DELETE FROM org_memberships WHERE user_id = $1', [userId]);
        const changes: MembershipChange[] = [];
        for (const place of places) {
          await membersRemoved(webhooks, db, place.id, [userId]);
          changes.push(...(await recordMembershipChanges(db, place.id, [userId], null)));
        }
        // The announcements leave with the commit; the session revocations outlast them on a later instance.
        await db.query('DELETE FROM org_membership_changes WHERE user_id = $1', [userId]);
        return () => changeLog.published(changes);
      },
    },
    {
      name: 'invitations',
      tables: ['org_invitations'],
      export: (db: EntityManager, userId: string) =>
        db.query<Record<string, unknown>[]>(
          `SELECT o.id AS "organizationId", o.name AS "organizationName", i.role,
                  i.created_at AS "createdAt", i.expires_at AS "expiresAt"
             FROM org_invitations i JOIN organizations o ON o.id = i.organization_id
            WHERE i.email = ${ADDRESS_OF}
            ORDER BY i.created_at DESC`,
          [userId],
        ),
      erase: async (db: EntityManager, userId: string) => {
        await db.query(`DELETE FROM org_invitations WHERE email = ${ADDRESS_OF}`, [userId]);
      },
    },
  ];
}
