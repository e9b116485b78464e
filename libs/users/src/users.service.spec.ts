import { AppConfig, loadConfig } from '@gatehouse/config';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, getRepositoryToken } from '@nestjs/typeorm';
import { hash } from '@node-rs/argon2';
import { buildDataSourceOptions, PreparedStatements, runMigrations } from '@gatehouse/database';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { User } from './entities/user.entity';
import { PasswordService } from './password.service';
import { UsersService } from './users.service';

// Writes name their columns: an operation that read the user earlier can never write back a stale column.
describe('UsersService writes', () => {
  let dir: string;
  let dataSource: DataSource;
  let users: UsersService;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-users-'));
    const config = loadConfig({ DATA_DIR: dir, PASSWORD_MIN_LENGTH: '8' });
    dataSource = await new DataSource(buildDataSourceOptions(config, [User])).initialize();
    await runMigrations(dataSource);
    const moduleRef = await Test.createTestingModule({
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: getDataSourceToken(), useValue: dataSource },
        { provide: getRepositoryToken(User), useValue: dataSource.getRepository(User) },
        UsersService,
        PasswordService,
        PreparedStatements,
      ],
    }).compile();
    users = moduleRef.get(UsersService);
  }, 60_000);

  afterAll(async () => {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const row = (id: string) =>
    dataSource.query<{ password_hash: string; credentials_version: number; disabled_at: Date | null }[]>(
      'SELECT password_hash, credentials_version, disabled_at FROM users WHERE id = $1',
      [id],
    );
  const newUser = (email: string) => users.create({ email, password: 'first passphrase of the user' });

  // A credentials change as the change function in libs/auth writes it.
  const changePasswordHash = (id: string, passwordHash: string) =>
    dataSource.query(
      'UPDATE users SET password_hash = $2, credentials_version = credentials_version + 1 WHERE id = $1',
      [id, passwordHash],
    );

  it('changes the display name without undoing a password change made since the user was read', async () => {
    const user = await newUser('profile@example.com');
    const stale = await users.findById(user.id);
    await changePasswordHash(user.id, 'changed-hash');
    const updated = await users.updateProfile(stale!.id, { displayName: '  Ada  ' });
    expect(updated).toMatchObject({
      displayName: 'Ada',
      passwordHash: 'changed-hash',
      credentialsVersion: 1,
    });
    expect((await row(user.id))[0].password_hash).toBe('changed-hash');
  });

  it('enables a disabled user without touching the credentials version', async () => {
    const user = await newUser('enable@example.com');
    await dataSource.query(
      'UPDATE users SET disabled_at = now(), credentials_version = credentials_version + 1 WHERE id = $1',
      [user.id],
    );
    expect(await users.enable(user.id)).toBe(true);
    expect((await row(user.id))[0]).toMatchObject({ disabled_at: null, credentials_version: 1 });
    expect(await users.enable('00000000-0000-4000-8000-000000000000')).toBe(false);
  });

  it('upgrades a weak hash at login only over the hash it verified', async () => {
    const user = await newUser('rehash@example.com');
    const weak = await hash('first passphrase of the user', { memoryCost: 1024, timeCost: 1 });
    await dataSource.query('UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, weak]);
    const check = await users.verifyCredentials('rehash@example.com', 'first passphrase of the user');
    expect(check.outcome).toBe('verified');
    const [upgraded] = await row(user.id);
    expect(upgraded.password_hash).not.toBe(weak);
    expect(upgraded.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('maps a raw users row through the entity, every column included', async () => {
    const user = await newUser('row@example.com');
    const [{ user_row }] = await dataSource.query<{ user_row: Record<string, unknown> }[]>(
      'SELECT to_jsonb(u) AS user_row FROM users u WHERE id = $1',
      [user.id],
    );
    expect(users.fromRow(user_row)).toEqual(await users.findById(user.id));
    delete user_row.email;
    expect(() => users.fromRow(user_row)).toThrow(/email/);
  });
});
