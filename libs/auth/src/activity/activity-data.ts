import { AuditTrail } from '@gatehouse/audit';
import { UserDataPart } from '@gatehouse/users';
import { EntityManager } from 'typeorm';

// The history is read a page at a time, however long it is.
const PAGE = 1000;

/**
 * A user's account history. Exported whole, newest first, as GET /api/auth/activity shows it. Erased the way the
 * contract keeps it: each event stays, with the user's id and its type and time only (no address, no browser, no
 * details), so the history of what happened to accounts outlives the account.
 */
export function activityData(trail: AuditTrail): UserDataPart {
  return {
    name: 'activity',
    tables: ['audit_events'],
    export: async (_db: EntityManager, userId: string) => {
      const events: unknown[] = [];
      for (let before: string | undefined; ;) {
        const page = await trail.page({ userId, limit: PAGE, before });
        events.push(
          ...page.map(({ id, type, at, ip, userAgent, details }) => ({
            id,
            type,
            at,
            ip,
            userAgent,
            details,
          })),
        );
        if (page.length < PAGE) return events;
        before = page[page.length - 1].id;
      }
    },
    erase: (db: EntityManager, userId: string) => trail.reduceToUserId(db, userId),
  };
}
