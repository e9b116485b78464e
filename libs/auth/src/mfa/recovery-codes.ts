import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { ChangeScope } from '../changes/account-changes';
import { MfaSecrets } from './mfa-secrets';

const COUNT = 10;

/** 80 random bits as four groups of five base32 letters and digits: `k7m2q-…`, easy to read and to type. */
function newCode(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(10);
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  const letters = bits.match(/.{5}/g)!.map((chunk) => alphabet[parseInt(chunk, 2)]);
  return letters.join('').match(/.{4}/g)!.join('-');
}

/** Single-use codes for when the authenticator app is lost; only their keyed hashes are stored. */
@Injectable()
export class RecoveryCodes {
  constructor(private readonly secrets: MfaSecrets) {}

  /** Ten new codes, shown this once; every earlier code of the user stops working. */
  async replace({ db, user }: ChangeScope): Promise<string[]> {
    const userId = user.id;
    await db.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
    const codes = Array.from({ length: COUNT }, newCode);
    await db.query(`INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::text[])`, [
      userId,
      codes.map((code) => this.secrets.recoveryCodeHash(userId, code)),
    ]);
    return codes;
  }

  /** Uses a code up, by one conditional UPDATE: two concurrent uses of one code give one success. */
  async consume(db: EntityManager, userId: string, code: string): Promise<boolean> {
    if (code.length > 64) return false;
    const [, updated] = await db.query<[unknown, number]>(
      `UPDATE mfa_recovery_codes SET used_at = now()
        WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
      [userId, this.secrets.recoveryCodeHash(userId, code)],
    );
    return updated === 1;
  }

  async remove({ db, user }: ChangeScope): Promise<void> {
    await db.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [user.id]);
  }
}
