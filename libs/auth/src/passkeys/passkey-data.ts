import { ownedRows, UserDataPart } from '@gatehouse/users';

/**
 * What the passkeys keep about a user: each passkey's public description (never its public key, which is of no
 * use outside this server, nor its signature counter), the random user handle the authenticators hold, and the
 * challenges handed out (whose values are one-time secrets: only their purpose and times are exported).
 */
export const passkeyData: UserDataPart[] = [
  ownedRows({
    name: 'passkeys',
    table: 'passkeys',
    ownerColumn: 'user_id',
    columns: {
      id: 'id',
      name: 'name',
      deviceType: 'device_type',
      backedUp: 'backed_up',
      transports: 'transports',
      createdAt: 'created_at',
      lastUsedAt: 'last_used_at',
    },
  }),
  ownedRows({
    name: 'passkeyUserHandle',
    table: 'webauthn_users',
    ownerColumn: 'user_id',
    columns: { handle: 'handle', createdAt: 'created_at' },
  }),
  ownedRows({
    name: 'passkeyChallenges',
    table: 'webauthn_challenges',
    ownerColumn: 'user_id',
    columns: { purpose: 'purpose', createdAt: 'created_at', expiresAt: 'expires_at' },
  }),
];
