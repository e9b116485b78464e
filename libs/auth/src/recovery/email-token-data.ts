import { ownedRows } from '@gatehouse/users';

/** The links mailed to a user (verify, reset, change): what for, to which address, when; never the token's hash. */
export const emailTokenData = ownedRows({
  name: 'emailLinks',
  table: 'email_tokens',
  ownerColumn: 'user_id',
  columns: {
    purpose: 'purpose',
    email: 'email',
    createdAt: 'created_at',
    expiresAt: 'expires_at',
    consumedAt: 'consumed_at',
  },
});
