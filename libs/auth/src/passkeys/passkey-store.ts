import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { ChangeScope } from '../changes/account-changes';
import { SignInMethods } from '../sign-in/ways-in';
import { Passkey } from './entities/passkey.entity';

export const DEFAULT_PASSKEY_NAME = 'Passkey';

export interface NewPasskey {
  readonly credentialId: string;
  readonly publicKey: Uint8Array;
  readonly counter: number;
  readonly transports: readonly string[];
  readonly deviceType: string;
  readonly backedUp: boolean;
  readonly name: string;
}

/** Registered passkeys and the user handles they carry. */
@Injectable()
export class PasskeyStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly methods: SignInMethods,
  ) {}

  private get repository() {
    return this.dataSource.getRepository(Passkey);
  }

  /** The user's WebAuthn user handle, made on first use; concurrent first uses agree on one. */
  async handleFor(userId: string): Promise<string> {
    await this.dataSource.query(
      'INSERT INTO webauthn_users (user_id, handle) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING',
      [userId, randomBytes(32).toString('base64url')],
    );
    const [row] = await this.dataSource.query<{ handle: string }[]>(
      'SELECT handle FROM webauthn_users WHERE user_id = $1',
      [userId],
    );
    return row.handle;
  }

  /** The user a handle names, if any. */
  async userOfHandle(handle: string): Promise<string | undefined> {
    const [row] = await this.dataSource.query<{ user_id: string }[]>(
      'SELECT user_id FROM webauthn_users WHERE handle = $1',
      [handle],
    );
    return row?.user_id;
  }

  listFor(userId: string): Promise<Passkey[]> {
    return this.repository.find({ where: { userId }, order: { createdAt: 'DESC', id: 'ASC' } });
  }

  findByCredentialId(credentialId: string): Promise<Passkey | null> {
    return this.repository.findOne({ where: { credentialId } });
  }

  /** undefined when the credential is registered already (to anyone: the unique index decides). */
  async add({ db, user }: ChangeScope, passkey: NewPasskey): Promise<Passkey | undefined> {
    const [row] = await db.query<{ id: string }[]>(
      `INSERT INTO passkeys (user_id, credential_id, public_key, counter, transports, device_type, backed_up, name)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (credential_id) DO NOTHING
       RETURNING id`,
      [
        user.id,
        passkey.credentialId,
        Buffer.from(passkey.publicKey),
        passkey.counter,
        [...passkey.transports],
        passkey.deviceType,
        passkey.backedUp,
        passkey.name,
      ],
    );
    return row
      ? ((await db.getRepository(Passkey).findOne({ where: { id: row.id } })) ?? undefined)
      : undefined;
  }

  /**
   * Notes a sign-in with the counter the authenticator reported. The counter must have moved forward (or both
   * be 0, a synced passkey): decided in the `UPDATE`, so two assertions with one counter value cannot both pass.
   */
  async recordUse(id: string, counter: number, backedUp: boolean): Promise<boolean> {
    const [, updated] = await this.dataSource.query<[unknown, number]>(
      `UPDATE passkeys SET counter = $2, backed_up = $3, last_used_at = now()
        WHERE id = $1 AND (counter < $2 OR (counter = 0 AND $2 = 0))`,
      [id, counter, backedUp],
    );
    return updated === 1;
  }

  async rename(userId: string, id: string, name: string): Promise<Passkey> {
    const [, updated] = await this.dataSource.query<[unknown, number]>(
      'UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2',
      [id, userId, name],
    );
    const passkey = updated === 1 ? await this.repository.findOne({ where: { id, userId } }) : null;
    if (!passkey) throw new NotFoundException('passkey not found');
    return passkey;
  }

  /** Deletes one of the user's passkeys, unless it is their last way to sign in (409). */
  async remove({ db, user }: ChangeScope, id: string): Promise<void> {
    const ways = await this.methods.lock(db, user.id);
    if (!ways?.passkeys.includes(id)) throw new NotFoundException('passkey not found');
    this.methods.assertAnotherBesides(ways, id);
    await db.query('DELETE FROM passkeys WHERE id = $1 AND user_id = $2', [id, user.id]);
  }
}
