import { permissionsOf } from '@gatehouse/orgs';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { announceRevocations } from '../../revocation/revocation-notice';
import { AuthUser } from '../../tokens/token-types';
import { secretHash } from '../secret-hash';

/** How long a verdict is trusted without asking the database again: at most one read per key per minute. */
export const VERDICT_TTL_MS = 60_000;
/** Bounds the memory a flood of made-up keys can take: the oldest verdicts go first. */
const MAX_VERDICTS = 100_000;

/** What the database said of a key, when it was asked. */
export interface ApiKeyVerdict {
  /** Who the key acts as, with its scopes; undefined when the key is refused. */
  readonly caller?: AuthUser;
  /** Why it is refused: no such key (or deleted), its user disabled, or no longer in the key's organization. */
  readonly refused?: 'unknown' | 'user_disabled' | 'not_a_member';
  readonly keyId?: string;
  readonly userId?: string;
  /** When the key expires (ms since the epoch); checked on every use, so a cached verdict never outlives it. */
  readonly expiresAt?: number;
  /** When the key was last marked used, as read (ms since the epoch). */
  readonly lastUsedAt?: number;
  readonly readAt: number;
}

interface KeyRow {
  id: string;
  user_id: string;
  scopes: string[];
  expires_at: Date | null;
  last_used_at: Date | null;
  disabled: boolean;
  organization_id: string | null;
  org_role: string | null;
}

/**
 * The verdicts on API keys, cached per instance for at most a minute, so that a key in steady use costs one
 * database read per minute, not one per request. Concurrent first uses of a key share one read.
 *
 * Deleting a key, disabling or enabling its user, announce the change on the revocation channel (in the change's
 * transaction): every instance drops the verdicts concerned at once and reads them again on the next use; so does
 * a change to its user's membership of an organization (heard on the membership channel), for keys made there. A read
 * that was already under way when a verdict was dropped answers its own request but is not kept. A lost LISTEN
 * connection drops every verdict.
 */
@Injectable()
export class ApiKeyVerdicts {
  private readonly verdicts = new Map<string, ApiKeyVerdict>();
  private readonly reading = new Map<string, Promise<ApiKeyVerdict>>();
  /** Bumped by every drop: a read begun under an older generation is not kept. */
  private generation = 0;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The verdict read less than a minute ago, if any: no database read, and no hash either (verdicts are kept by
   * the key's text, as verified access tokens are by theirs; the database only ever sees the hash).
   */
  cached(key: string, now = Date.now()): ApiKeyVerdict | undefined {
    const cached = this.verdicts.get(key);
    return cached !== undefined && now - cached.readAt < VERDICT_TTL_MS ? cached : undefined;
  }

  /** Reads the verdict from the database, sharing a read already under way for the same key. */
  read(key: string): Promise<ApiKeyVerdict> {
    let pending = this.reading.get(key);
    if (pending === undefined) {
      pending = this.load(key);
      this.reading.set(key, pending);
      const done = () => {
        if (this.reading.get(key) === pending) this.reading.delete(key);
      };
      pending.then(done, done);
    }
    return pending;
  }

  /** Drops the verdicts on these keys, and on every key of these users (ids of either kind). */
  forget(ids: Iterable<string>): void {
    const gone = new Set(ids);
    if (gone.size === 0) return;
    this.generation++;
    this.reading.clear();
    for (const [key, verdict] of this.verdicts) {
      if (gone.has(verdict.keyId ?? '') || gone.has(verdict.userId ?? '')) this.verdicts.delete(key);
    }
  }

  /** Drops every verdict (the LISTEN connection was lost: a notice may have been missed). */
  clear(): void {
    this.generation++;
    this.reading.clear();
    this.verdicts.clear();
  }

  /**
   * Tells every instance to forget these keys or users, in `db`'s transaction: they hear of it only if it
   * commits. The caller forgets them on this instance once committed (`forget`).
   */
  async announce(db: EntityManager | DataSource, ids: string[], at = new Date()): Promise<void> {
    await announceRevocations(db, { at, forget: ids });
  }

  /** After a committed change outside the change function (an account enabled): every instance, then this one. */
  async rejudge(ids: string[]): Promise<void> {
    await this.announce(this.dataSource, ids);
    this.forget(ids);
  }

  private async load(key: string): Promise<ApiKeyVerdict> {
    const generation = this.generation;
    const [row] = await this.dataSource.query<KeyRow[]>(
      `SELECT k.id, k.user_id, k.scopes, k.expires_at, k.last_used_at, u.disabled_at IS NOT NULL AS disabled,
              k.organization_id, m.role AS org_role
         FROM api_keys k JOIN users u ON u.id = k.user_id
         LEFT JOIN org_memberships m ON m.organization_id = k.organization_id AND m.user_id = k.user_id
        WHERE k.key_hash = $1`,
      [secretHash(key)],
    );
    const verdict = verdictOf(row, Date.now());
    if (generation === this.generation) {
      if (this.verdicts.size >= MAX_VERDICTS) this.verdicts.delete(this.verdicts.keys().next().value!);
      this.verdicts.set(key, verdict);
    }
    return verdict;
  }
}

function verdictOf(row: KeyRow | undefined, readAt: number): ApiKeyVerdict {
  if (row === undefined) return { refused: 'unknown', readAt };
  const known = {
    keyId: row.id,
    userId: row.user_id,
    readAt,
    ...(row.expires_at ? { expiresAt: new Date(row.expires_at).getTime() } : {}),
    ...(row.last_used_at ? { lastUsedAt: new Date(row.last_used_at).getTime() } : {}),
  };
  if (row.disabled) return { ...known, refused: 'user_disabled' };
  if (row.organization_id && !row.org_role) return { ...known, refused: 'not_a_member' };
  const caller: AuthUser = {
    id: row.user_id,
    sessionId: row.id,
    roles: [],
    amr: [],
    authTime: 0,
    credential: { kind: 'apiKey', keyId: row.id, scopes: [...row.scopes] },
    ...(row.organization_id && row.org_role
      ? { org: { id: row.organization_id, role: row.org_role, permissions: permissionsOf(row.org_role) } }
      : {}),
  };
  return { ...known, caller };
}
