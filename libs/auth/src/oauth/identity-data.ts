import { ownedRows, UserDataPart } from '@gatehouse/users';

/**
 * What the provider sign-ins keep about a user: the provider accounts linked to theirs, and the link flows they
 * have begun (whose state, nonce and code verifier are secrets: only the provider and the times are exported).
 * A link flow names the user without a cascading key, so it is erased explicitly, before the user row.
 */
export const identityData: UserDataPart[] = [
  ownedRows({
    name: 'identities',
    table: 'user_identities',
    ownerColumn: 'user_id',
    columns: {
      id: 'id',
      provider: 'provider',
      email: 'email',
      emailVerified: 'email_verified',
      createdAt: 'created_at',
      lastUsedAt: 'last_used_at',
    },
  }),
  ownedRows({
    name: 'providerLinks',
    table: 'oauth_transactions',
    ownerColumn: 'link_user_id',
    columns: { provider: 'provider', createdAt: 'created_at', expiresAt: 'expires_at' },
  }),
];
