// Longer than most files on purpose: this is the only code that touches `sessions` and `refresh_tokens`
// (docs/architecture.md), so every statement on a session is read and reviewed in one place.
import { Webhooks } from '@gatehouse/audit';
import { AppConfig } from '@gatehouse/config';
import { PreparedStatements } from '@gatehouse/database';
import { roleIn } from '@gatehouse/orgs';
import { User, UsersService } from '@gatehouse/users';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { announceRevocations } from '../revocation/revocation-notice';
import { RevocationService } from '../revocation/revocation.service';
import { SecurityEventFields, SecurityEvents } from '../security-events';
import { RevocationReason, Session } from './entities/session.entity';
import {
  LiveTokenRow,
  oneStatementParams,
  ROTATE_IN_ONE_STATEMENT,
  RotatedRow,
  RotationRow,
  SELECT_FOR_ROTATION,
} from './rotation-statements';
import { TokenSigner } from './token-signer';
import { AuthMethod, RefreshClaims, SignInFacts } from './token-types';

/** Where a request came from, remembered on its session. */
export interface ClientInfo {
  userAgent?: string;
  ip?: string;
  /** The JWK thumbprint of the DPoP proof the request carried, verified; a session it starts is bound to it. */
  proofKey?: string;
  /** The device cookie the browser carried (DeviceCookie): kept only as its SHA-256, never logged. */
  deviceCookie?: string;
}

interface RevokedRow {
  id: string;
  user_id: string;
  revoked_at: Date;
}

/** What the history and the log say of a refresh token presented again. */
function reuseFields(claims: RefreshClaims, client: ClientInfo): SecurityEventFields {
  return {
    userId: claims.userId,
    sessionId: claims.sessionId,
    tokenId: claims.tokenId,
    ip: client.ip,
    userAgent: client.userAgent,
  };
}

/** A refresh token handed to the client, with the moment it stops working. */
export interface IssuedRefreshToken {
  token: string;
  expiresAt: Date;
}

/** A session to insert, for a user whose row the caller holds locked in the same transaction. */
export interface SessionStart {
  userId: string;
  /** The user's credentials version that the proof was checked against. */
  credentialsVersion: number;
  signIn: SignInFacts;
  client: ClientInfo;
  /** The database's clock, read in the same transaction. */
  now: Date;
  /** Unbound, but its first refresh with a proof binds it (a provider sign-in begun without `dpop_jkt`). */
  dpopBindable?: boolean;
}

export type RotationResult =
  | {
      outcome: 'rotated' | 'race';
      user: User;
      sessionId: string;
      /** When the session began: SESSION_MAX_AGE counts from here. */
      sessionStartedAt: Date;
      signIn: SignInFacts;
      refresh: IssuedRefreshToken;
    }
  | {
      outcome: 'rejected';
      reason:
        | 'unknown'
        | 'revoked'
        | 'expired'
        | 'disabled'
        | 'credentials_changed'
        | 'email_unverified'
        | 'dpop_refused'
        | 'not_bound'
        | 'not_member';
    }
  | { outcome: 'reuse' };

/** A session revoked, and when, by the database's clock. */
export interface Revoked {
  id: string;
  at: Date;
}

const toSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

const activeOrgOf = (id: string | null | undefined, role: string | null | undefined): SignInFacts['org'] =>
  id && role ? { id, role } : undefined;

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
    private readonly users: UsersService,
    private readonly signer: TokenSigner,
    private readonly revocations: RevocationService,
    private readonly events: SecurityEvents,
    private readonly statements: PreparedStatements,
    private readonly webhooks: Webhooks,
  ) {}

  /**
   * Copies revocations of the last `lookBackSeconds` (by default, all that can still matter: one access-token
   * lifetime) from the database into the in-memory set, so a restart or a missed notification forgets nothing.
   * The window is measured on the database's clock, the one `revoked_at` was written with. The revocations of
   * deleted accounts' sessions, whose rows are gone, are read from `revoked_sessions`.
   */
  async loadRecentRevocations(lookBackSeconds = this.revocations.horizonSeconds): Promise<number> {
    const rows = await this.dataSource.query<{ id: string; revoked_at: Date }[]>(
      `SELECT id, revoked_at FROM sessions WHERE revoked_at > now() - $1 * interval '1 second'
       UNION ALL
       SELECT session_id, revoked_at FROM revoked_sessions WHERE revoked_at > now() - $1 * interval '1 second'`,
      [Math.min(lookBackSeconds, this.revocations.horizonSeconds)],
    );
    for (const row of rows) this.revocations.add([row.id], new Date(row.revoked_at));
    return rows.length;
  }

  /**
   * Inserts a session (a new family) and its first refresh token. Only the sign-in function calls this, inside
   * the transaction in which it locked the user row and re-checked everything a sign-in depends on.
   */
  async startSession(
    db: EntityManager,
    start: SessionStart,
  ): Promise<{ sessionId: string; refresh: IssuedRefreshToken }> {
    const { now, client } = start;
    const sessionId = randomUUID();
    const expiresAt = this.refreshExpiry(now, now);
    await db.insert(Session, {
      id: sessionId,
      userId: start.userId,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip?.slice(0, 64) ?? null,
      createdAt: now,
      lastUsedAt: now,
      expiresAt,
      credentialsVersion: start.credentialsVersion,
      amr: [...start.signIn.amr],
      authTime: start.signIn.authTime,
      dpopJkt: start.signIn.jkt ?? null,
      dpopBindable: start.dpopBindable ?? false,
    });
    const refresh = await this.insertToken(db, {
      userId: start.userId,
      sessionId,
      parentId: null,
      now,
      expiresAt,
    });
    return { sessionId, refresh };
  }

  /**
   * Trades a verified refresh token for its successor. The common case is one statement (ROTATE_IN_ONE_STATEMENT);
   * anything else (a refusal, a token already rotated) is decided in a transaction that reads why. A token
   * already rotated is either a benign race (the immediate parent of the live token, rotated within the grace
   * window: answered with the live token itself) or reuse, which revokes the whole family; that revocation is
   * committed before the caller fails.
   */
  async rotate(
    claims: RefreshClaims,
    client: ClientInfo,
    organization?: string | null,
  ): Promise<RotationResult> {
    const rotated = await this.rotateInOneStatement(claims, client, organization);
    if (rotated) return rotated;
    let revokedAt: Date | undefined;
    let boundNow = false;
    const result = await this.dataSource.transaction(async (db): Promise<RotationResult> => {
      const [row] = await db.query<RotationRow[]>(SELECT_FOR_ROTATION, [claims.sessionId, claims.tokenId]);
      if (!row) return { outcome: 'rejected', reason: 'unknown' };
      const user = this.users.fromRow(row.user_row);
      if (user.id !== claims.userId) return { outcome: 'rejected', reason: 'unknown' };
      if (row.revoked_at) return { outcome: 'rejected', reason: 'revoked' };
      if (!hashMatches(row.token_hash, claims.token)) return { outcome: 'rejected', reason: 'unknown' };
      // A bound session's token is worth nothing without its key: refused before any rotation or reuse
      // detection, so a stolen token can neither refresh nor revoke the family.
      if (row.dpop_jkt && row.dpop_jkt !== client.proofKey)
        return { outcome: 'rejected', reason: 'dpop_refused' };
      if (!row.dpop_jkt && claims.source === 'body') return { outcome: 'rejected', reason: 'not_bound' };
      // The same checks as a sign-in: a disabled user, or credentials changed since the session began.
      if (row.disabled_at) return { outcome: 'rejected', reason: 'disabled' };
      if (row.session_credentials_version !== row.user_credentials_version) {
        return { outcome: 'rejected', reason: 'credentials_changed' };
      }
      if (this.config.recovery.requireVerification && !user.emailVerifiedAt) {
        return { outcome: 'rejected', reason: 'email_unverified' };
      }
      const now = new Date(row.now);
      if (new Date(row.token_expires_at) <= now || this.pastMaxAge(new Date(row.session_created_at), now)) {
        return { outcome: 'rejected', reason: 'expired' };
      }
      // A token already rotated is a benign race or reuse, whatever else the request asks.
      const live = row.token_rotated_at
        ? await this.liveTokenWithinGrace(db, claims, new Date(row.token_rotated_at), now)
        : undefined;
      if (row.token_rotated_at && !live) {
        [revokedAt] = (await this.markRevoked(db, [claims.sessionId], 'reuse_detected')).map((r) => r.at);
        await this.events.store(db, 'refresh.reuse_detected', reuseFields(claims, client));
        return { outcome: 'reuse' };
      }
      // The organization asked for must be the user's; the session's own is kept while the membership lasts.
      const chosen = organization === undefined ? row.organization_id : organization;
      const org = await this.activeOrg(db, claims.userId, chosen);
      if (organization && !org) return { outcome: 'rejected', reason: 'not_member' };
      if ((org?.id ?? null) !== row.organization_id) {
        await db.query('UPDATE sessions SET organization_id = $2 WHERE id = $1', [
          claims.sessionId,
          org?.id ?? null,
        ]);
      }
      let jkt = row.dpop_jkt ?? undefined;
      if (!jkt && row.dpop_bindable && client.proofKey && !row.token_rotated_at) {
        await db.query('UPDATE sessions SET dpop_jkt = $2, dpop_bindable = false WHERE id = $1', [
          claims.sessionId,
          client.proofKey,
        ]);
        jkt = client.proofKey;
        boundNow = true;
      }
      const signIn: SignInFacts = { amr: row.amr, authTime: new Date(row.auth_time), jkt, org };
      const session = {
        user,
        sessionId: claims.sessionId,
        sessionStartedAt: new Date(row.session_created_at),
      };
      if (live) return { outcome: 'race', ...session, signIn, refresh: live };
      const refresh = await this.rotateLiveToken(db, claims, row, now, client);
      return { outcome: 'rotated', ...session, signIn, refresh };
    });

    if (boundNow) {
      this.events.record('dpop.bound', {
        userId: claims.userId,
        sessionId: claims.sessionId,
        jkt: client.proofKey,
      });
    }
    if (result.outcome === 'reuse') {
      if (revokedAt) this.revocations.add([claims.sessionId], revokedAt);
      this.events.announce('refresh.reuse_detected', reuseFields(claims, client));
      this.events.announce('session.revoked', {
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
    } else if (result.outcome === 'rejected' && result.reason === 'dpop_refused') {
      this.events.record('dpop.refused', {
        userId: claims.userId,
        sessionId: claims.sessionId,
        reason: client.proofKey ? 'another_key' : 'no_proof',
        route: 'refresh',
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

  /** Revokes one session of `userId`; false when that user has no session with that id. */
  revokeSession(sessionId: string, reason: RevocationReason, userId: string): Promise<boolean> {
    return this.revokeOne(sessionId, reason, userId);
  }

  /**
   * Logs a session out with its refresh token. A session bound to a key ends only with a proof by that key:
   * `dpop_refused` otherwise (a stolen bound token cannot even log its owner out), and nothing changes.
   */
  async logout(claims: RefreshClaims, proofKey: string | undefined): Promise<'done' | 'dpop_refused'> {
    const [session] = await this.dataSource.query<{ dpop_jkt: string | null }[]>(
      'SELECT dpop_jkt FROM sessions WHERE id = $1 AND user_id = $2',
      [claims.sessionId, claims.userId],
    );
    if (session?.dpop_jkt && session.dpop_jkt !== proofKey) {
      this.events.record('dpop.refused', {
        userId: claims.userId,
        sessionId: claims.sessionId,
        reason: proofKey ? 'another_key' : 'no_proof',
        route: 'logout',
      });
      return 'dpop_refused';
    }
    if (!session?.dpop_jkt && claims.source === 'body') return 'done';
    await this.revokeOne(claims.sessionId, 'logout', claims.userId);
    return 'done';
  }

  /** Revokes any user's session, for an administrator's action: the caller has checked the right to it. */
  revokeSessionAsAdmin(sessionId: string, reason: RevocationReason): Promise<boolean> {
    return this.revokeOne(sessionId, reason, undefined);
  }

  /** Revokes every live session of a user, but `exceptSessionId`; returns the revoked ids. */
  async revokeUserSessions(
    userId: string,
    reason: RevocationReason,
    exceptSessionId?: string,
  ): Promise<string[]> {
    const revoked = await this.dataSource.transaction((db) =>
      this.revokeUserSessionsIn(db, userId, reason, exceptSessionId),
    );
    this.afterRevocation(revoked, userId, reason);
    return revoked.map((r) => r.id);
  }

  /**
   * Ends the sessions a change to the user's credentials voids, in the change function's transaction (which has
   * bumped the credentials version): every live session but `keepSessionId`, which is moved to the new version.
   * The caller tells this instance's revocation set once it has committed (afterRevocation).
   */
  async voidSessions(
    db: EntityManager,
    userId: string,
    reason: RevocationReason,
    keepSessionId?: string,
  ): Promise<Revoked[]> {
    if (keepSessionId) {
      await db.query(
        `UPDATE sessions SET credentials_version = (SELECT credentials_version FROM users WHERE id = $1)
          WHERE id = $2 AND user_id = $1`,
        [userId, keepSessionId],
      );
    }
    return this.revokeUserSessionsIn(db, userId, reason, keepSessionId);
  }

  /** Whether the user's session is live (not revoked, not expired), read in the caller's transaction. */
  async isLiveIn(db: EntityManager, sessionId: string, userId: string): Promise<boolean> {
    const [row] = await db.query<{ created_at: Date }[]>(
      `SELECT created_at FROM sessions
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()`,
      [sessionId, userId],
    );
    return row !== undefined && !this.pastMaxAge(new Date(row.created_at), new Date());
  }

  /**
   * Records a fresh proof of the user on their session: `auth_time` becomes now and `amr` gains `added`, so this
   * access token and every later refresh carry them. Undefined when the session can no longer be refreshed
   * (revoked, expired, the user disabled or their credentials changed since it began).
   */
  async reauthenticate(
    sessionId: string,
    userId: string,
    added: readonly AuthMethod[],
  ): Promise<{ user: User; signIn: SignInFacts; sessionStartedAt: Date } | undefined> {
    const [rows] = await this.dataSource.query<
      [
        {
          user_row: Record<string, unknown>;
          amr: AuthMethod[];
          auth_time: Date;
          created_at: Date;
          dpop_jkt: string | null;
          organization_id: string | null;
          org_role: string | null;
        }[],
        number,
      ]
    >(
      `UPDATE sessions s
          SET auth_time = now(),
              amr = ARRAY(SELECT m FROM unnest(s.amr || $3::text[]) WITH ORDINALITY AS t(m, i)
                           GROUP BY m ORDER BY min(i))
         FROM users u
        WHERE s.id = $1 AND s.user_id = $2 AND u.id = s.user_id
          AND s.revoked_at IS NULL AND s.expires_at > now()
          AND u.disabled_at IS NULL AND u.credentials_version = s.credentials_version
        RETURNING to_jsonb(u) AS user_row, s.amr, s.auth_time, s.created_at, s.dpop_jkt, s.organization_id,
                  (SELECT m.role FROM org_memberships m
                    WHERE m.organization_id = s.organization_id AND m.user_id = s.user_id) AS org_role`,
      [sessionId, userId, [...added]],
    );
    const row = rows[0];
    if (!row || this.pastMaxAge(new Date(row.created_at), new Date())) return undefined;
    return {
      user: this.users.fromRow(row.user_row),
      signIn: {
        amr: row.amr,
        authTime: new Date(row.auth_time),
        jkt: row.dpop_jkt ?? undefined,
        org: activeOrgOf(row.organization_id, row.org_role),
      },
      sessionStartedAt: new Date(row.created_at),
    };
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

  /** The common case (see ROTATE_IN_ONE_STATEMENT); undefined when the careful path must decide. */
  private async rotateInOneStatement(
    claims: RefreshClaims,
    client: ClientInfo,
    organization: string | null | undefined,
  ): Promise<RotationResult | undefined> {
    const { tokens, recovery } = this.config;
    // The child is signed before the statement, so it can be inserted by it, with this instance's clock. Its
    // expiry is the idle one; a session whose SESSION_MAX_AGE comes sooner takes the careful path, which caps it.
    // So does an instance whose clock is more than 5 s off the database's: the stored times stay on one clock.
    const issuedAt = toSeconds(new Date());
    const expiresAt = issuedAt + tokens.refreshTtl;
    const tokenId = randomUUID();
    const token = this.signer.signRefreshToken({
      userId: claims.userId,
      sessionId: claims.sessionId,
      tokenId,
      issuedAt,
      expiresAt,
    });
    const [row] = await this.statements.rows<RotatedRow>(
      ROTATE_IN_ONE_STATEMENT,
      oneStatementParams({
        presented: claims,
        child: { tokenId, token, issuedAt, expiresAt },
        requireVerification: recovery.requireVerification,
        sessionMaxAge: tokens.sessionMaxAge,
        client,
        organization,
      }),
    );
    if (!row) return undefined;
    return {
      outcome: 'rotated',
      user: this.users.fromRow(row.user_row),
      sessionId: claims.sessionId,
      sessionStartedAt: new Date(row.created_at),
      signIn: {
        amr: row.amr,
        authTime: new Date(row.auth_time),
        jkt: row.dpop_jkt ?? undefined,
        org: activeOrgOf(row.org_id, row.org_role),
      },
      refresh: { token, expiresAt: new Date(expiresAt * 1000) },
    };
  }

  /** The user's role in the organization, read in the rotation's transaction; undefined for none or a stranger. */
  private async activeOrg(
    db: EntityManager,
    userId: string,
    organizationId: string | null,
  ): Promise<SignInFacts['org']> {
    if (organizationId === null) return undefined;
    return activeOrgOf(organizationId, await roleIn(db, organizationId, userId));
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

  private async revokeOne(
    sessionId: string,
    reason: RevocationReason,
    userId: string | undefined,
  ): Promise<boolean> {
    const found = await this.dataSource.transaction(async (db) => {
      const [session] = await db.query<{ user_id: string; revoked_at: Date | null }[]>(
        'SELECT user_id, revoked_at FROM sessions WHERE id = $1 FOR UPDATE',
        [sessionId],
      );
      if (!session || (userId !== undefined && session.user_id !== userId)) return undefined;
      const revoked = session.revoked_at ? [] : await this.markRevoked(db, [sessionId], reason);
      return { userId: session.user_id, revoked };
    });
    if (!found) return false;
    this.afterRevocation(found.revoked, found.userId, reason);
    return true;
  }

  private async revokeUserSessionsIn(
    db: EntityManager,
    userId: string,
    reason: RevocationReason,
    exceptSessionId?: string,
  ): Promise<Revoked[]> {
    const [rows] = await db.query<[RevokedRow[], number]>(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $2
        WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid)
        RETURNING id, user_id, revoked_at`,
      [userId, reason, exceptSessionId ?? null],
    );
    return this.announce(db, rows, reason);
  }

  /** Marks sessions revoked at the database's `now()`, the one clock every instance compares against. */
  private async markRevoked(db: EntityManager, ids: string[], reason: RevocationReason): Promise<Revoked[]> {
    const [rows] = await db.query<[RevokedRow[], number]>(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $2
        WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL
        RETURNING id, user_id, revoked_at`,
      [ids, reason],
    );
    return this.announce(db, rows, reason);
  }

  /**
   * Tells every other instance, in the same transaction (they hear of it only if it commits), and adds the
   * revocations to the account's history and the webhooks' queue there too.
   */
  private async announce(
    db: EntityManager,
    rows: RevokedRow[],
    reason: RevocationReason,
  ): Promise<Revoked[]> {
    const revoked = rows.map((row) => ({ id: row.id, at: new Date(row.revoked_at) }));
    const at = revoked[0]?.at;
    if (!at) return revoked;
    await announceRevocations(db, { at, ids: revoked.map((r) => r.id) });
    const each = rows.map((row) => ({ userId: row.user_id, sessionId: row.id, reason }));
    await this.events.store(db, 'session.revoked', ...each);
    for (const fields of each) await this.webhooks.emit(db, 'session.revoked', fields);
    return revoked;
  }

  /** Once the revocation has committed: this instance stops the sessions' access tokens, and says so. */
  afterRevocation(revoked: readonly Revoked[], userId: string, reason: RevocationReason): void {
    for (const { id, at } of revoked) {
      this.revocations.add([id], at);
      this.events.announce('session.revoked', { userId, sessionId: id, reason });
    }
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
}
