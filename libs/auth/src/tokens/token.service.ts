import { AppConfig } from '@gatehouse/config';
import { User } from '@gatehouse/users';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { revocationNotices, REVOCATION_CHANNEL } from '../revocation/revocation-notice';
import { RevocationService } from '../revocation/revocation.service';
import { SecurityEvents } from '../security-events';
import { RevocationReason, Session } from './entities/session.entity';
import { TokenSigner } from './token-signer';
import { RefreshClaims } from './token-types';

/** Where a request came from, remembered on its session. */
export interface ClientInfo {
  userAgent?: string;
  ip?: string;
}

/** A refresh token handed to the client, with the moment it stops working. */
export interface IssuedRefreshToken {
  token: string;
  expiresAt: Date;
}

export type RotationResult =
  | { outcome: 'rotated' | 'race'; user: User; sessionId: string; refresh: IssuedRefreshToken }
  | { outcome: 'rejected'; reason: 'unknown' | 'revoked' | 'expired' | 'disabled' }
  | { outcome: 'reuse' };

interface RotationRow {
  user_id: string;
  email: string;
  display_name: string | null;
  roles: string[];
  user_created_at: Date;
  disabled_at: Date | null;
  session_created_at: Date;
  revoked_at: Date | null;
  token_id: string;
  token_hash: string;
  token_expires_at: Date;
  token_rotated_at: Date | null;
}

interface LiveTokenRow {
  id: string;
  parent_id: string | null;
  issued_at: Date;
  expires_at: Date;
}

// The session and the presented token are both locked: every refresh of one family queues behind the one before
// it. Both must be locked, not only the session: after waiting, PostgreSQL re-reads the rows a query locks, but
// keeps the version it first saw of any other joined row, and a stale `rotated_at` would look rotatable.
const SELECT_FOR_ROTATION = `
  SELECT u.id AS user_id, u.email, u.display_name, u.roles, u.created_at AS user_created_at, u.disabled_at,
         s.created_at AS session_created_at, s.revoked_at,
         t.id AS token_id, t.hash AS token_hash, t.expires_at AS token_expires_at, t.rotated_at AS token_rotated_at
    FROM sessions s
    JOIN users u ON u.id = s.user_id
    JOIN refresh_tokens t ON t.id = $2 AND t.session_id = s.id
   WHERE s.id = $1
     FOR UPDATE OF s, t`;

const toSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

function sha256(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function hashMatches(stored: string, token: string): boolean {
  const expected = Buffer.from(stored, 'hex');
  const actual = Buffer.from(sha256(token), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * Sessions (refresh-token families) and their refresh tokens: login, rotation with reuse detection and a grace
 * window for benign races, and revocation. The only code that touches `sessions` and `refresh_tokens`.
 */
@Injectable()
export class TokenService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly signer: TokenSigner,
    private readonly revocations: RevocationService,
    private readonly events: SecurityEvents,
  ) {}

  /**
   * Copies revocations made since `since` (by default, all that can still matter: one access-token lifetime)
   * from the database into the in-memory set, so a restart or a missed notification forgets nothing.
   */
  async loadRecentRevocations(since?: Date): Promise<number> {
    const horizon = this.revocations.horizon;
    const from = since && since > horizon ? since : horizon;
    const rows = await this.dataSource.query<{ id: string; revoked_at: Date }[]>(
      'SELECT id, revoked_at FROM sessions WHERE revoked_at > $1',
      [from],
    );
    for (const row of rows) this.revocations.add([row.id], new Date(row.revoked_at));
    return rows.length;
  }

  /** Starts a session (a new family) for a user who just proved who they are. */
  async startSession(
    user: User,
    client: ClientInfo,
  ): Promise<{ sessionId: string; refresh: IssuedRefreshToken }> {
    const now = new Date();
    const sessionId = randomUUID();
    const expiresAt = this.refreshExpiry(now, now);
    return this.dataSource.transaction(async (db) => {
      await db.insert(Session, {
        id: sessionId,
        userId: user.id,
        userAgent: client.userAgent?.slice(0, 512) ?? null,
        ip: client.ip?.slice(0, 64) ?? null,
        createdAt: now,
        lastUsedAt: now,
        expiresAt,
      });
      const refresh = await this.insertToken(db, {
        userId: user.id,
        sessionId,
        parentId: null,
        now,
        expiresAt,
      });
      return { sessionId, refresh };
    });
  }

  /**
   * Trades a verified refresh token for its successor, in one transaction. A token already rotated is either a
   * benign race (the immediate parent of the live token, rotated within the grace window: answered with the live
   * token itself) or reuse, which revokes the whole family; that revocation is committed before the caller fails.
   */
  async rotate(claims: RefreshClaims, client: ClientInfo): Promise<RotationResult> {
    const now = new Date();
    const result = await this.dataSource.transaction(async (db): Promise<RotationResult> => {
      const [row] = await db.query<RotationRow[]>(SELECT_FOR_ROTATION, [claims.sessionId, claims.tokenId]);
      if (!row || row.user_id !== claims.userId) return { outcome: 'rejected', reason: 'unknown' };
      if (row.revoked_at) return { outcome: 'rejected', reason: 'revoked' };
      if (!hashMatches(row.token_hash, claims.token)) return { outcome: 'rejected', reason: 'unknown' };
      if (row.disabled_at) return { outcome: 'rejected', reason: 'disabled' };
      if (new Date(row.token_expires_at) <= now || this.pastMaxAge(new Date(row.session_created_at), now)) {
        return { outcome: 'rejected', reason: 'expired' };
      }
      const user = this.userFrom(row);
      if (!row.token_rotated_at) {
        const refresh = await this.rotateLiveToken(db, claims, row, now, client);
        return { outcome: 'rotated', user, sessionId: claims.sessionId, refresh };
      }
      const live = await this.liveTokenWithinGrace(db, claims, new Date(row.token_rotated_at), now);
      if (live) return { outcome: 'race', user, sessionId: claims.sessionId, refresh: live };
      await this.markRevoked(db, [claims.sessionId], 'reuse_detected', now);
      return { outcome: 'reuse' };
    });

    if (result.outcome === 'reuse') {
      this.revocations.add([claims.sessionId], now);
      this.events.record('refresh.reuse_detected', {
        userId: claims.userId,
        sessionId: claims.sessionId,
        tokenId: claims.tokenId,
        ip: client.ip,
      });
      this.events.record('session.revoked', {
        userId: claims.userId,
        sessionId: claims.sessionId,
        reason: 'reuse_detected',
      });
    } else if (result.outcome === 'race') {
      this.events.record('refresh.race_absorbed', {
        userId: claims.userId,
        sessionId: claims.sessionId,
        tokenId: claims.tokenId,
      });
    } else if (result.outcome === 'rejected') {
      this.events.record('refresh.rejected', {
        userId: claims.userId,
        sessionId: claims.sessionId,
        reason: result.reason,
      });
    }
    return result;
  }

  /** Revokes one session; false when no session of that user has that id. */
  async revokeSession(sessionId: string, reason: RevocationReason, userId?: string): Promise<boolean> {
    const now = new Date();
    const found = await this.dataSource.transaction(async (db) => {
      const rows = await db.query<{ id: string; user_id: string; revoked_at: Date | null }[]>(
        'SELECT id, user_id, revoked_at FROM sessions WHERE id = $1 FOR UPDATE',
        [sessionId],
      );
      const session = rows[0];
      if (!session || (userId !== undefined && session.user_id !== userId)) return undefined;
      if (!session.revoked_at) await this.markRevoked(db, [sessionId], reason, now);
      return session;
    });
    if (!found) return false;
    if (!found.revoked_at) this.afterRevocation([sessionId], found.user_id, reason, now);
    return true;
  }

  /** Revokes every live session of a user, but `exceptSessionId`; returns the revoked ids. */
  async revokeUserSessions(
    userId: string,
    reason: RevocationReason,
    exceptSessionId?: string,
  ): Promise<string[]> {
    const now = new Date();
    const ids = await this.dataSource.transaction(async (db) => {
      const [rows] = await db.query<[{ id: string }[], number]>(
        `UPDATE sessions SET revoked_at = $2, revoked_reason = $3
          WHERE user_id = $1 AND revoked_at IS NULL AND ($4::uuid IS NULL OR id <> $4::uuid)
          RETURNING id`,
        [userId, now, reason, exceptSessionId ?? null],
      );
      const revoked = rows.map((row) => row.id);
      await this.announce(db, revoked, now);
      return revoked;
    });
    if (ids.length > 0) this.afterRevocation(ids, userId, reason, now);
    return ids;
  }

  /** The user's sessions that can still be refreshed, most recently used first. */
  async liveSessions(userId: string): Promise<Session[]> {
    const now = new Date();
    const sessions = await this.dataSource
      .getRepository(Session)
      .createQueryBuilder('s')
      .where('s.userId = :userId', { userId })
      .andWhere('s.revokedAt IS NULL')
      .andWhere('s.expiresAt > :now', { now })
      .orderBy('s.lastUsedAt', 'DESC')
      .getMany();
    return sessions.filter((session) => !this.pastMaxAge(session.createdAt, now));
  }

  private async rotateLiveToken(
    db: EntityManager,
    claims: RefreshClaims,
    row: RotationRow,
    now: Date,
    client: ClientInfo,
  ): Promise<IssuedRefreshToken> {
    const [, rotated] = await db.query<[unknown, number]>(
      'UPDATE refresh_tokens SET rotated_at = $2 WHERE id = $1 AND rotated_at IS NULL',
      [claims.tokenId, now],
    );
    // The row locks make this unreachable; should it ever be reached, the transaction fails rather than
    // hand out a second live token.
    if (rotated !== 1) throw new Error('refresh token rotated concurrently');
    const expiresAt = this.refreshExpiry(now, new Date(row.session_created_at));
    const refresh = await this.insertToken(db, {
      userId: claims.userId,
      sessionId: claims.sessionId,
      parentId: claims.tokenId,
      now,
      expiresAt,
    });
    await db.query(
      `UPDATE sessions SET last_used_at = $2, expires_at = $3, user_agent = COALESCE($4, user_agent), ip = COALESCE($5, ip)
        WHERE id = $1`,
      [
        claims.sessionId,
        now,
        expiresAt,
        client.userAgent?.slice(0, 512) ?? null,
        client.ip?.slice(0, 64) ?? null,
      ],
    );
    return refresh;
  }

  /** The family's live token, when the presented one is its immediate parent rotated within the grace window. */
  private async liveTokenWithinGrace(
    db: EntityManager,
    claims: RefreshClaims,
    rotatedAt: Date,
    now: Date,
  ): Promise<IssuedRefreshToken | undefined> {
    const grace = this.config.tokens.reuseGraceSeconds * 1000;
    if (grace === 0 || now.getTime() - rotatedAt.getTime() >= grace) return undefined;
    const [live] = await db.query<LiveTokenRow[]>(
      'SELECT id, parent_id, issued_at, expires_at FROM refresh_tokens WHERE session_id = $1 AND rotated_at IS NULL',
      [claims.sessionId],
    );
    if (!live || live.parent_id !== claims.tokenId) return undefined;
    const expiresAt = new Date(live.expires_at);
    if (expiresAt <= now) return undefined;
    // Signing the stored claims again gives the very token that was issued: its stored hash still matches.
    const token = this.signer.signRefreshToken({
      userId: claims.userId,
      sessionId: claims.sessionId,
      tokenId: live.id,
      issuedAt: toSeconds(new Date(live.issued_at)),
      expiresAt: toSeconds(expiresAt),
    });
    return { token, expiresAt };
  }

  private async insertToken(
    db: EntityManager,
    input: { userId: string; sessionId: string; parentId: string | null; now: Date; expiresAt: Date },
  ): Promise<IssuedRefreshToken> {
    const tokenId = randomUUID();
    const issuedAt = toSeconds(input.now);
    const expiresAt = toSeconds(input.expiresAt);
    const token = this.signer.signRefreshToken({
      userId: input.userId,
      sessionId: input.sessionId,
      tokenId,
      issuedAt,
      expiresAt,
    });
    await db.query(
      `INSERT INTO refresh_tokens (id, session_id, parent_id, hash, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        tokenId,
        input.sessionId,
        input.parentId,
        sha256(token),
        new Date(issuedAt * 1000),
        new Date(expiresAt * 1000),
      ],
    );
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  private async markRevoked(
    db: EntityManager,
    ids: string[],
    reason: RevocationReason,
    now: Date,
  ): Promise<void> {
    const [rows] = await db.query<[{ id: string }[], number]>(
      `UPDATE sessions SET revoked_at = $2, revoked_reason = $3
        WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL
        RETURNING id`,
      [ids, now, reason],
    );
    await this.announce(
      db,
      rows.map((row) => row.id),
      now,
    );
  }

  /** Tells every other instance, in the same transaction: they hear of it only if it commits. */
  private async announce(db: EntityManager, ids: string[], at: Date): Promise<void> {
    for (const notice of revocationNotices(ids, at)) {
      await db.query('SELECT pg_notify($1, $2)', [REVOCATION_CHANNEL, notice]);
    }
  }

  private afterRevocation(ids: string[], userId: string, reason: RevocationReason, now: Date): void {
    this.revocations.add(ids, now);
    for (const sessionId of ids) this.events.record('session.revoked', { userId, sessionId, reason });
  }

  /** A refresh token lives REFRESH_TOKEN_TTL from now, but never past the session's SESSION_MAX_AGE. */
  private refreshExpiry(now: Date, sessionCreatedAt: Date): Date {
    const { refreshTtl, sessionMaxAge } = this.config.tokens;
    const idle = now.getTime() + refreshTtl * 1000;
    const absolute =
      sessionMaxAge === undefined ? Infinity : sessionCreatedAt.getTime() + sessionMaxAge * 1000;
    return new Date(Math.floor(Math.min(idle, absolute) / 1000) * 1000);
  }

  private pastMaxAge(createdAt: Date, now: Date): boolean {
    const maxAge = this.config.tokens.sessionMaxAge;
    return maxAge !== undefined && now.getTime() >= createdAt.getTime() + maxAge * 1000;
  }

  private userFrom(row: RotationRow): User {
    return Object.assign(new User(), {
      id: row.user_id,
      email: row.email,
      displayName: row.display_name,
      roles: row.roles,
      createdAt: new Date(row.user_created_at),
      disabledAt: row.disabled_at,
    });
  }
}
