import { ExpiringRecordsRegistry, registerExpiringRecords } from './expiring-records';

describe('ExpiringRecordsRegistry', () => {
  it('purges each table by its key, in batches, by the moment its rows are measured from', () => {
    const registry = new ExpiringRecordsRegistry();
    registry.register(
      { table: 'email_codes', key: 'email', column: 'expires_at' },
      { table: 'known_devices', key: ['user_id', 'key_hash'], column: 'last_seen_at', keptFor: 7_776_000 },
    );
    expect(registry.registered()).toEqual([
      {
        table: 'email_codes',
        keptFor: 0,
        purge:
          'DELETE FROM "email_codes" WHERE ("email") IN (SELECT "email" FROM "email_codes" WHERE "expires_at" < $1 LIMIT $2)',
      },
      {
        table: 'known_devices',
        keptFor: 7_776_000,
        purge:
          'DELETE FROM "known_devices" WHERE ("user_id", "key_hash") IN ' +
          '(SELECT "user_id", "key_hash" FROM "known_devices" WHERE "last_seen_at" < $1 LIMIT $2)',
      },
    ]);
  });

  it('refuses a name that is not a plain SQL name, and a table registered twice', () => {
    const registry = new ExpiringRecordsRegistry();
    expect(() =>
      registry.register({ table: 'codes; DROP TABLE users', key: 'id', column: 'expires_at' }),
    ).toThrow(/not a plain SQL name/);
    expect(() => registry.register({ table: 'codes', key: ['id', 'Bad"'], column: 'expires_at' })).toThrow(
      /not a plain SQL name/,
    );
    registry.register({ table: 'codes', key: 'id', column: 'expires_at' });
    expect(() => registry.register({ table: 'codes', key: 'id', column: 'created_at' })).toThrow(
      /registered twice/,
    );
    expect(registry.registered().map((each) => each.table)).toEqual(['codes']);
  });

  it('registers through a provider built from what the module injects', () => {
    const registry = new ExpiringRecordsRegistry();
    const provider = registerExpiringRecords([String], (ttl: number) => [
      { table: 'tries', key: 'id', column: 'failed_at', keptFor: ttl },
    ]);
    const other = registerExpiringRecords([], () => []);
    expect(provider.provide).not.toBe(other.provide);
    expect(provider.useFactory(registry, 900)).toEqual(['tries']);
    expect(registry.registered()).toEqual([expect.objectContaining({ table: 'tries', keptFor: 900 })]);
  });
});
