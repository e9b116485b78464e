import { AuditTrail, Webhooks } from '@gatehouse/audit';
import { AppConfig, loadConfig } from '@gatehouse/config';
import { buildDataSourceOptions, PreparedStatements, runMigrations } from '@gatehouse/database';
import { Organization } from '@gatehouse/orgs';
import { PasswordService, User, UsersService } from '@gatehouse/users';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, getRepositoryToken } from '@nestjs/typeorm';
import { decode } from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { KeyService } from '../keys/key.service';
import { RevocationService } from '../revocation/revocation.service';
import { SecurityEvents } from '../security-events';
import { RefreshToken } from './entities/refresh-token.entity';
import { Session } from './entities/session.entity';
import { ClientInfo, RotationResult, TokenService } from './token.service';
import { TokenSigner } from './token-signer';
import { RefreshClaims } from './token-types';

// The token state machine, on a real embedded PostgreSQL with the real migrations and keys.
describe('TokenService', () => {
  let dir: string;
  let dataSource: DataSource;
  let recorded: string[];

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** The service as the auth module wires it, on the suite's database; only the security events are recorded. */
  async function serviceWith(env: Record<string, string> = {}) {
    const config: AppConfig = loadConfig({ DATA_DIR: dir, REFRESH_REUSE_GRACE_SECONDS: '1', ...env });
    const moduleRef = await Test.createTestingModule({
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: getDataSourceToken(), useValue: dataSource },
        { provide: getRepositoryToken(User), useValue: dataSource.getRepository(User) },
        SecurityEvents,
        AuditTrail,
        Webhooks,
        TokenService,
        TokenSigner,
        KeyService,
        RevocationService,
        UsersService,
        PasswordService,
        PreparedStatements,
      ],
    }).compile();
    moduleRef.get(SecurityEvents).listen((event) => recorded.push(event));
    return { service: moduleRef.get(TokenService), revocations: moduleRef.get(RevocationService) };
  }

  async function newUser(disabled = false): Promise<User> {
    const id = randomUUID();
    await dataSource.query(
      `INSERT INTO users (id, email, password_hash, roles, disabled_at) VALUES ($1, $2, 'x', '{user}', $3)`,
      [id, `${id}@example.com`, disabled ? new Date() : null],
    );
    return Object.assign(new User(), { id, roles: ['user'] });
  }

  /** What the sign-in function does after its checks: a session for the user, in a transaction. */
  function startSession(service: TokenService, user: User, client: ClientInfo) {
    return dataSource.transaction((db) =>
      service.startSession(db, {
        userId: user.id,
        credentialsVersion: 0,
        signIn: { amr: ['pwd'], authTime: new Date() },
        client,
        now: new Date(),
      }),
    );
  }

  function claimsOf(token: string): RefreshClaims {
    const payload = decode(token) as { sub: string; sid: string; jti: string };
    return { userId: payload.sub, sessionId: payload.sid, tokenId: payload.jti, token };
  }

  function issued(result: RotationResult): string {
    if (result.outcome !== 'rotated' && result.outcome !== 'race') throw new Error(`got ${result.outcome}`);
    return result.refresh.token;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-tokens-'));
    const config = loadConfig({ DATA_DIR: dir });
    dataSource = await new DataSource(
      buildDataSourceOptions(config, [User, Session, RefreshToken, Organization]),
    ).initialize();
    await runMigrations(dataSource);
  }, 60_000);

  afterAll(async () => {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    recorded = [];
  });

  it('starts a session with exactly one live token, stored by hash', async () => {
    const { service } = await serviceWith();
    const user = await newUser();
    const { sessionId, refresh } = await startSession(service, user, { ip: '127.0.0.1', userAgent: 'jest' });
    const rows = await dataSource.query<{ hash: string; rotated_at: Date | null }[]>(
      'SELECT hash, rotated_at FROM refresh_tokens WHERE session_id = $1',
      [sessionId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].rotated_at).toBeNull();
    expect(rows[0].hash).not.toContain(refresh.token.split('.')[2]);
    expect(claimsOf(refresh.token).sessionId).toBe(sessionId);
  });

  it('rotates the live token into a child of the same family', async () => {
    const { service } = await serviceWith();
    const { refresh } = await startSession(service, await newUser(), {});
    const result = await service.rotate(claimsOf(refresh.token), {});
    expect(result.outcome).toBe('rotated');
    const child = claimsOf(issued(result));
    expect(child.sessionId).toBe(claimsOf(refresh.token).sessionId);
    expect(child.tokenId).not.toBe(claimsOf(refresh.token).tokenId);
    const [parent] = await dataSource.query<{ rotated_at: Date | null }[]>(
      'SELECT rotated_at FROM refresh_tokens WHERE id = $1',
      [claimsOf(refresh.token).tokenId],
    );
    expect(parent.rotated_at).not.toBeNull();
  });

  it('rotates in one statement in the common case, and keeps the session’s sign-in facts', async () => {
    const { service } = await serviceWith();
    const user = await newUser();
    const { refresh, sessionId } = await startSession(service, user, {});
    const sent = jest.spyOn(dataSource, 'query');
    try {
      const result = await service.rotate(claimsOf(refresh.token), { userAgent: 'jest 2', ip: '10.0.0.2' });
      expect(sent).toHaveBeenCalledTimes(1);
      if (result.outcome !== 'rotated') throw new Error(`got ${result.outcome}`);
      expect(result.user.id).toBe(user.id);
      expect(result.signIn.amr).toEqual(['pwd']);
    } finally {
      sent.mockRestore();
    }
    const [session] = await dataSource.query<{ user_agent: string; ip: string; live: number }[]>(
      `SELECT user_agent, ip, (SELECT count(*)::int FROM refresh_tokens
                                WHERE session_id = s.id AND rotated_at IS NULL) AS live
         FROM sessions s WHERE id = $1`,
      [sessionId],
    );
    expect(session).toEqual({ user_agent: 'jest 2', ip: '10.0.0.2', live: 1 });
  });

  it('gives one of two concurrent refreshes of a token the rotation, the other the live token', async () => {
    const { service } = await serviceWith({ REFRESH_REUSE_GRACE_SECONDS: '10' });
    const { refresh, sessionId } = await startSession(service, await newUser(), {});
    const results = await Promise.all([
      service.rotate(claimsOf(refresh.token), {}),
      service.rotate(claimsOf(refresh.token), {}),
    ]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['race', 'rotated']);
    expect(issued(results[0])).toBe(issued(results[1]));
    const [{ live }] = await dataSource.query<{ live: number }[]>(
      'SELECT count(*)::int AS live FROM refresh_tokens WHERE session_id = $1 AND rotated_at IS NULL',
      [sessionId],
    );
    expect(live).toBe(1);
  });

  it('answers the parent within the grace window with the live token itself, byte for byte', async () => {
    const { service } = await serviceWith();
    const { refresh } = await startSession(service, await newUser(), {});
    const live = issued(await service.rotate(claimsOf(refresh.token), {}));
    const race = await service.rotate(claimsOf(refresh.token), {});
    expect(race.outcome).toBe('race');
    expect(issued(race)).toBe(live);
    expect(recorded).toContain('refresh.race_absorbed');
    expect((await service.rotate(claimsOf(live), {})).outcome).toBe('rotated');
  });

  it('calls the parent reuse once the window has passed, and revokes the family in the database and in memory', async () => {
    const { service, revocations } = await serviceWith();
    const { sessionId, refresh } = await startSession(service, await newUser(), {});
    const live = issued(await service.rotate(claimsOf(refresh.token), {}));
    await sleep(1100);
    expect((await service.rotate(claimsOf(refresh.token), {})).outcome).toBe('reuse');
    expect(revocations.isRevoked(sessionId)).toBe(true);
    expect(recorded).toContain('refresh.reuse_detected');
    const [row] = await dataSource.query<{ revoked_reason: string }[]>(
      'SELECT revoked_reason FROM sessions WHERE id = $1',
      [sessionId],
    );
    expect(row.revoked_reason).toBe('reuse_detected');
    expect(await service.rotate(claimsOf(live), {})).toEqual({ outcome: 'rejected', reason: 'revoked' });
  });

  it('calls a grandparent reuse even inside the window', async () => {
    const { service } = await serviceWith();
    const { refresh } = await startSession(service, await newUser(), {});
    const child = issued(await service.rotate(claimsOf(refresh.token), {}));
    issued(await service.rotate(claimsOf(child), {}));
    expect((await service.rotate(claimsOf(refresh.token), {})).outcome).toBe('reuse');
  });

  it('has no grace window when it is set to 0', async () => {
    const { service } = await serviceWith({ REFRESH_REUSE_GRACE_SECONDS: '0' });
    const { refresh } = await startSession(service, await newUser(), {});
    issued(await service.rotate(claimsOf(refresh.token), {}));
    expect((await service.rotate(claimsOf(refresh.token), {})).outcome).toBe('reuse');
  });

  it('refuses a token whose hash does not match the stored one', async () => {
    const { service } = await serviceWith();
    const { refresh } = await startSession(service, await newUser(), {});
    const claims = { ...claimsOf(refresh.token), token: `${refresh.token}x` };
    expect(await service.rotate(claims, {})).toEqual({ outcome: 'rejected', reason: 'unknown' });
  });

  it('refuses a token that names another user', async () => {
    const { service } = await serviceWith();
    const { refresh } = await startSession(service, await newUser(), {});
    const claims = { ...claimsOf(refresh.token), userId: randomUUID() };
    expect(await service.rotate(claims, {})).toEqual({ outcome: 'rejected', reason: 'unknown' });
  });

  it('refuses the tokens of a disabled user', async () => {
    const { service } = await serviceWith();
    const user = await newUser();
    const { refresh } = await startSession(service, user, {});
    await dataSource.query('UPDATE users SET disabled_at = now() WHERE id = $1', [user.id]);
    expect(await service.rotate(claimsOf(refresh.token), {})).toEqual({
      outcome: 'rejected',
      reason: 'disabled',
    });
  });

  it('refuses a session started under credentials that have changed since, and keeps its sign-in facts', async () => {
    const { service } = await serviceWith();
    const user = await newUser();
    const { refresh } = await startSession(service, user, {});
    const rotated = await service.rotate(claimsOf(refresh.token), {});
    expect(rotated).toMatchObject({ outcome: 'rotated', signIn: { amr: ['pwd'] } });
    await dataSource.query('UPDATE users SET credentials_version = credentials_version + 1 WHERE id = $1', [
      user.id,
    ]);
    expect(await service.rotate(claimsOf(issued(rotated)), {})).toEqual({
      outcome: 'rejected',
      reason: 'credentials_changed',
    });
  });

  it('ends a session at SESSION_MAX_AGE however active it is', async () => {
    const { service } = await serviceWith({ SESSION_MAX_AGE: '2' });
    const { refresh } = await startSession(service, await newUser(), {});
    const child = issued(await service.rotate(claimsOf(refresh.token), {}));
    expect(claimsOf(child).tokenId).toBeDefined();
    const expiry = (decode(child) as { exp: number }).exp;
    expect(expiry - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(2);
    await sleep(2100);
    expect(await service.rotate(claimsOf(child), {})).toEqual({ outcome: 'rejected', reason: 'expired' });
  });

  it('caps the child at SESSION_MAX_AGE when that comes before the idle expiry', async () => {
    const { service } = await serviceWith({ SESSION_MAX_AGE: '1h', REFRESH_TOKEN_TTL: '7d' });
    const { refresh, sessionId } = await startSession(service, await newUser(), {});
    const child = issued(await service.rotate(claimsOf(refresh.token), {}));
    const [{ cap }] = await dataSource.query<{ cap: number }[]>(
      `SELECT floor(extract(epoch FROM created_at + interval '1 hour'))::int AS cap FROM sessions WHERE id = $1`,
      [sessionId],
    );
    expect((decode(child) as { exp: number }).exp).toBe(cap);
  });

  it('revokes one session of its owner only', async () => {
    const { service, revocations } = await serviceWith();
    const owner = await newUser();
    const { sessionId } = await startSession(service, owner, {});
    expect(await service.revokeSession(sessionId, 'session_deleted', randomUUID())).toBe(false);
    expect(revocations.isRevoked(sessionId)).toBe(false);
    expect(await service.revokeSession(sessionId, 'session_deleted', owner.id)).toBe(true);
    expect(revocations.isRevoked(sessionId)).toBe(true);
    expect(await service.liveSessions(owner.id)).toHaveLength(0);
  });

  it('revokes any user’s session only through the explicit admin method', async () => {
    const { service, revocations } = await serviceWith();
    const { sessionId } = await startSession(service, await newUser(), {});
    expect(await service.revokeSessionAsAdmin(sessionId, 'session_deleted')).toBe(true);
    expect(revocations.isRevoked(sessionId)).toBe(true);
  });

  it('revokes every session of a user but the one kept', async () => {
    const { service, revocations } = await serviceWith();
    const user = await newUser();
    const kept = await startSession(service, user, {});
    const other = await startSession(service, user, {});
    const third = await startSession(service, user, {});
    const revoked = await service.revokeUserSessions(user.id, 'password_changed', kept.sessionId);
    expect(revoked.sort()).toEqual([other.sessionId, third.sessionId].sort());
    expect(revocations.isRevoked(kept.sessionId)).toBe(false);
    expect((await service.liveSessions(user.id)).map((s) => s.id)).toEqual([kept.sessionId]);
  });

  it('reloads recent revocations into a fresh in-memory set', async () => {
    const { service } = await serviceWith();
    const user = await newUser();
    const { sessionId } = await startSession(service, user, {});
    await service.revokeSession(sessionId, 'logout', user.id);
    const restarted = await serviceWith();
    expect(restarted.revocations.isRevoked(sessionId)).toBe(false);
    await restarted.service.loadRecentRevocations();
    expect(restarted.revocations.isRevoked(sessionId)).toBe(true);
  });
});
