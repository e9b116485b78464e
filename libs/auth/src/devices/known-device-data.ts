import { ownedRows } from '@gatehouse/users';

/** The browsers and devices a user has signed in from: how each is known and when it was seen; never its hash. */
export const knownDeviceData = ownedRows({
  name: 'knownDevices',
  table: 'known_devices',
  ownerColumn: 'user_id',
  columns: { kind: 'kind', firstSeenAt: 'first_seen_at', lastSeenAt: 'last_seen_at' },
  newestFirstBy: 'last_seen_at',
});
