import { Webhooks } from '@gatehouse/audit';
import { EntityManager } from 'typeorm';

/** `org.member_added` for a new membership, in its transaction. */
export function memberAdded(
  webhooks: Webhooks,
  db: EntityManager,
  organizationId: string,
  userId: string,
  role: string,
): Promise<void> {
  return webhooks.emit(db, 'org.member_added', { organizationId, userId, role });
}

/** `org.member_removed` for each membership ended (left, removed, or its organization deleted). */
export async function membersRemoved(
  webhooks: Webhooks,
  db: EntityManager,
  organizationId: string,
  userIds: readonly string[],
): Promise<void> {
  for (const userId of userIds) await webhooks.emit(db, 'org.member_removed', { organizationId, userId });
}
