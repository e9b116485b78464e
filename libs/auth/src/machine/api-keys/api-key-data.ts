import { ownedRows } from '@gatehouse/users';

/** A user's API keys as their list shows them: never the key, never its hash. */
export const apiKeyData = ownedRows({
  name: 'apiKeys',
  table: 'api_keys',
  ownerColumn: 'user_id',
  columns: {
    id: 'id',
    name: 'name',
    prefix: 'prefix',
    scopes: 'scopes',
    organizationId: 'organization_id',
    createdAt: 'created_at',
    lastUsedAt: 'last_used_at',
    expiresAt: 'expires_at',
  },
});
