import { registerExpiringRecords } from '@gatehouse/database';
import { EmailCodeController } from './email-code.controller';
import { emailCodeData } from './email-code-data';
import { EmailCodeSignIn } from './email-code-sign-in';
import { EmailCodeStrategy } from './email-code.strategy';
import { EmailCodes } from './email-codes';
import { EmailCode } from './entities/email-code.entity';

/** Sign-in with a code by email, as AuthModule registers it: its table, its routes, its providers. */
export const emailCodeWayIn = {
  entities: [EmailCode],
  controllers: [EmailCodeController],
  providers: [
    EmailCodeSignIn,
    EmailCodes,
    EmailCodeStrategy,
    emailCodeData,
    // A code is of no use once expired; the clean-up deletes it then.
    registerExpiringRecords([], () => [{ table: 'email_codes', key: 'email', column: 'expires_at' }]),
  ],
};
