import { ownedRows, registerUserData } from '@gatehouse/users';

/** A user's sign-in code by email, while one is kept: to which address, when, how many tries; never its hash. */
export const emailCodeData = registerUserData(
  ownedRows({
    name: 'emailCodes',
    table: 'email_codes',
    ownerColumn: 'user_id',
    columns: {
      email: 'email',
      createdAt: 'created_at',
      expiresAt: 'expires_at',
      consumedAt: 'consumed_at',
      attempts: 'attempts',
    },
  }),
);
