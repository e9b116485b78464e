import { ConflictException } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ownedRows } from './owned-rows';
import { registerUserData, registerUserDataWith, UserData } from './user-data';
import { UserDataPart } from './user-data-part';

/** A stand-in transaction that records each statement and answers from `answers` by the statement's start. */
function recordingDb(answers: Record<string, unknown[]> = {}) {
  const statements: { sql: string; params: unknown[] }[] = [];
  const db = {
    query: (sql: string, params: unknown[] = []) => {
      statements.push({ sql: sql.replace(/\s+/g, ' ').trim(), params });
      const key = Object.keys(answers).find((start) => sql.trim().startsWith(start));
      return Promise.resolve(key ? answers[key] : []);
    },
  } as unknown as EntityManager;
  return { db, statements };
}

const part = (name: string, log: string[], extra: Partial<UserDataPart> = {}): UserDataPart => ({
  name,
  tables: [name],
  erase: () => {
    log.push(name);
    return Promise.resolve();
  },
  ...extra,
});

describe('ownedRows', () => {
  const notes = ownedRows({
    name: 'notes',
    table: 'notes',
    ownerColumn: 'owner_id',
    columns: { id: 'id', title: 'title', createdAt: 'created_at' },
  });

  it('exports the named columns of the owner’s rows, newest first', async () => {
    const { db, statements } = recordingDb({ SELECT: [{ id: 'n1', title: 'a', createdAt: 'then' }] });
    expect(await notes.export!(db, 'u1')).toEqual([{ id: 'n1', title: 'a', createdAt: 'then' }]);
    expect(statements).toEqual([
      {
        sql: 'SELECT "id" AS "id", "title" AS "title", "created_at" AS "createdAt" FROM "notes" WHERE "owner_id" = $1 ORDER BY "created_at" DESC',
        params: ['u1'],
      },
    ]);
  });

  it('erases them by the owner column', async () => {
    const { db, statements } = recordingDb();
    await notes.erase(db, 'u1');
    expect(statements).toEqual([{ sql: 'DELETE FROM "notes" WHERE "owner_id" = $1', params: ['u1'] }]);
    expect(notes.tables).toEqual(['notes']);
  });

  it('without columns, erases and never exports', () => {
    expect(ownedRows({ name: 'mail', table: 'mail_outbox', ownerColumn: 'user_id' }).export).toBeUndefined();
  });

  it('refuses names that are not plain SQL names or fields, at start', () => {
    expect(() => ownedRows({ name: 'x', table: 'notes; DROP TABLE users', ownerColumn: 'owner_id' })).toThrow(
      /plain SQL name/,
    );
    expect(() => ownedRows({ name: 'x', table: 'notes', ownerColumn: 'Owner"' })).toThrow(/plain SQL name/);
    expect(() =>
      ownedRows({ name: 'x', table: 'notes', ownerColumn: 'owner_id', columns: { 'a"b': 'title' } }),
    ).toThrow(/not a plain name/);
    expect(() => ownedRows({ name: 'x', table: 'notes', ownerColumn: 'owner_id', columns: {} })).toThrow(
      /exports no column/,
    );
  });
});

describe('UserData, the registry', () => {
  const registryOn = (db: EntityManager) => new UserData({ manager: db } as unknown as DataSource);

  it('refuses a name registered twice, a reserved name and a malformed one', () => {
    const registry = registryOn(recordingDb().db);
    registry.register(part('notes', []));
    expect(() => registry.register(part('notes', []))).toThrow(/registered twice/);
    expect(() => registry.register(part('user', []))).toThrow(/registered twice/);
    expect(() => registry.register(part('exportedAt', []))).toThrow(/registered twice/);
    expect(() => registry.register(part('api-keys', []))).toThrow(/must look like/);
  });

  it('erases the parts that may refuse first, then the others by name, then the user row; runs nothing more after a refusal', async () => {
    const log: string[] = [];
    const registry = registryOn(recordingDb().db);
    registry.register(part('sessions', log), part('apiKeys', log));
    registry.register(part('memberships', log, { mayRefuse: true }));
    const { db, statements } = recordingDb();
    const afterwards = await registry.erase(db, 'u1');
    expect(log).toEqual(['memberships', 'apiKeys', 'sessions']);
    expect(statements).toEqual([{ sql: 'DELETE FROM users WHERE id = $1', params: ['u1'] }]);
    expect(afterwards).toEqual([]);

    const refusing = registryOn(recordingDb().db);
    const refused: string[] = [];
    refusing.register(
      part('notes', refused),
      part('memberships', refused, {
        mayRefuse: true,
        erase: () => Promise.reject(new ConflictException('last owner')),
      }),
    );
    const other = recordingDb();
    await expect(refusing.erase(other.db, 'u1')).rejects.toThrow(ConflictException);
    expect(refused).toEqual([]);
    expect(other.statements).toEqual([]);
  });

  it('answers what the parts ask to be done once the deletion has committed', async () => {
    const told: string[] = [];
    const registry = registryOn(recordingDb().db);
    registry.register(
      part('memberships', [], { erase: () => Promise.resolve(() => void told.push('published')) }),
    );
    const afterwards = await registry.erase(recordingDb().db, 'u1');
    expect(told).toEqual([]);
    for (const then of afterwards) then();
    expect(told).toEqual(['published']);
  });

  it('exports the profile as `user` and each part under its name; erase-only parts and unknown users give nothing', async () => {
    const profile = { id: 'u1', email: 'ada@example.com' };
    const { db, statements } = recordingDb({ 'SELECT id, email': [profile] });
    const registry = registryOn(db);
    registry.register(
      part('notes', [], { export: () => Promise.resolve([{ title: 'mine' }]) }),
      part('mail', []),
      part('totp', [], { export: () => Promise.resolve({ enabled: false }) }),
    );
    const now = new Date('2026-01-02T03:04:05Z');
    const exported = await registry.export('u1', now);
    expect(exported).toEqual({
      exportedAt: '2026-01-02T03:04:05.000Z',
      user: profile,
      notes: [{ title: 'mine' }],
      totp: { enabled: false },
    });
    expect(Object.keys(exported!)).toEqual(['exportedAt', 'user', 'notes', 'totp']);
    expect(statements[0].sql).not.toMatch(/password_hash|credentials_version|\*/);
    expect(await registryOn(recordingDb().db).export('nobody')).toBeUndefined();
  });

  it('lists the tables the parts hold, the users table included', () => {
    const registry = registryOn(recordingDb().db);
    registry.register(part('notes', []), { ...part('sessions', []), tables: ['sessions', 'refresh_tokens'] });
    expect(registry.tables()).toEqual(['notes', 'refresh_tokens', 'sessions', 'users']);
  });
});

describe('registerUserData', () => {
  it('is a provider of its own that registers the parts when its module starts', () => {
    const registry = new UserData({} as DataSource);
    const notes = part('notes', []);
    const first = registerUserData(notes);
    const second = registerUserDataWith([String], (name: string) => [part(name, [])]);
    expect(first.provide).not.toBe(second.provide);
    expect(first.inject).toEqual([UserData]);
    expect(second.inject).toEqual([UserData, String]);
    expect(first.useFactory(registry)).toEqual(['notes']);
    expect(second.useFactory(registry, 'apiKeys')).toEqual(['apiKeys']);
    expect(registry.registered().map((registered) => registered.name)).toEqual(['apiKeys', 'notes']);
  });
});
