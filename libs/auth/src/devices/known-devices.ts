import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { ClientInfo } from '../tokens/token.service';
import { agentKey, cookieKey } from './device-keys';
import type { DeviceKeyKind } from './entities/known-device.entity';

/** A browser or device unseen by an account for this long is a new one again (and its record is purged). */
export const KNOWN_DEVICE_DAYS = 90;
const KNOWN_DEVICE_MS = KNOWN_DEVICE_DAYS * 86_400_000;

/** What a sign-in tells of the device it came from. */
export interface DeviceSighting {
  /** Not seen on the account in the last 90 days, and not the first sign-in of a new account: its owner is told. */
  readonly isNew: boolean;
  /** How the device was recognised: by the device cookie it carried, or (none) by its user agent and network. */
  readonly identifiedBy: DeviceKeyKind;
  /** A device cookie for the response to set: the request carried none. */
  readonly newCookie?: string;
}

interface SeenRow {
  known: boolean;
  has_devices: boolean;
}

/**
 * The browsers and devices each account has signed in from (known_devices). Called by the sign-in function, in
 * its transaction, once a session starts; nothing but the SHA-256 of a device cookie or of a user agent and
 * network is ever compared or kept.
 */
@Injectable()
export class KnownDevices {
  /**
   * Whether the account has seen this client lately, and records it: its device cookie (a new one when it came
   * without) and its user agent and network, so the same client is known later with or without its cookie.
   */
  async sighted(
    db: EntityManager,
    user: { readonly id: string; readonly createdAt: Date },
    client: ClientInfo,
    now: Date,
  ): Promise<DeviceSighting> {
    const deviceCookie = client.deviceCookie ?? randomBytes(32).toString('base64url');
    const newCookie = client.deviceCookie ? undefined : deviceCookie;
    const cookie = cookieKey(deviceCookie);
    const agent = agentKey(client.userAgent, client.ip);
    const presented = client.deviceCookie ? cookie : agent;
    const since = new Date(now.getTime() - KNOWN_DEVICE_MS);
    // One round trip: every part of the statement sees the table as it was before the upsert. Two primary-key
    // probes, never a scan of the account's devices (a client without cookies leaves a row at every sign-in).
    const [seen] = await db.query<SeenRow[]>(
      `WITH seen AS (
         SELECT EXISTS (SELECT 1 FROM known_devices
                        WHERE user_id = $1 AND key_hash = $2::bytea AND last_seen_at > $3::timestamptz) AS known,
                EXISTS (SELECT 1 FROM known_devices WHERE user_id = $1) AS has_devices
       ), recorded AS (
         INSERT INTO known_devices (user_id, key_hash, kind, first_seen_at, last_seen_at)
         VALUES ($1, $5::bytea, 'cookie', $4::timestamptz, $4), ($1, $6::bytea, 'agent', $4, $4)
         ON CONFLICT (user_id, key_hash)
         DO UPDATE SET last_seen_at = GREATEST(known_devices.last_seen_at, EXCLUDED.last_seen_at)
       )
       SELECT known, has_devices FROM seen`,
      [user.id, presented.hash, since, now, cookie.hash, agent.hash],
    );
    // The very first sign-in of an account is no news to its owner. Records older than 90 days are purged,
    // so an account older than that without any has been away long enough for every device to be new again.
    const firstSignIn = !seen.has_devices && user.createdAt > since;
    return { isNew: !seen.known && !firstSignIn, identifiedBy: presented.kind, newCookie };
  }
}
