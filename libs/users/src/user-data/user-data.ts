import { FactoryProvider, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AfterErase, UserDataPart } from './user-data-part';

/** `notes`, `apiKeys`: a key of the export, as the API spells its fields. */
const PART_NAME = /^[a-z][A-Za-z0-9]{0,63}$/;
/** The export's own keys: no part may take them. */
const RESERVED = new Set(['exportedAt', 'user']);

/** The profile, as the export shows it: the users row without its password hash or credentials version. */
const PROFILE = `SELECT id, email, email_verified_at AS "emailVerifiedAt", display_name AS "displayName", roles,
                        disabled_at AS "disabledAt", created_at AS "createdAt", updated_at AS "updatedAt"
                   FROM users WHERE id = $1`;

/** Everything stored about a user: `exportedAt`, the profile as `user`, and each registered part by its name. */
export type UserDataExport = {
  readonly exportedAt: string;
  readonly user: Record<string, unknown>;
} & Readonly<Record<string, unknown>>;

/**
 * The registry of what belongs to a user. Each feature registers its parts (registerUserData in its module's
 * providers), so deletion and export read one list and cannot forget a table: a new table with a user in it
 * registers here in the same change, and the deletion suite fails on any table it finds a deleted user's id in.
 * The profile (the users row) is the registry's own: exported as `user`, deleted after every part.
 */
@Injectable()
export class UserData {
  private readonly parts = new Map<string, UserDataPart>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Adds parts; a name taken already (or reserved, or malformed) stops the start. */
  register(...parts: readonly UserDataPart[]): void {
    for (const part of parts) {
      if (!PART_NAME.test(part.name)) throw new Error(`user data "${part.name}" must look like "apiKeys"`);
      if (RESERVED.has(part.name) || this.parts.has(part.name)) {
        throw new Error(`user data "${part.name}" is registered twice`);
      }
      this.parts.set(part.name, part);
    }
  }

  /** The registered parts, in the order deletion erases them: those that may refuse first, then by name. */
  registered(): UserDataPart[] {
    const byName = [...this.parts.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    return [...byName.filter((part) => part.mayRefuse), ...byName.filter((part) => !part.mayRefuse)];
  }

  /** Every table some part (or the profile) holds rows of. */
  tables(): string[] {
    return [...new Set(['users', ...[...this.parts.values()].flatMap((part) => part.tables)])].sort();
  }

  /**
   * Everything stored about the user; undefined when there is no such user. Each part is under its name, in name
   * order; erase-only parts are left out. Read part by part, outside a transaction: a part may first write what
   * its process still holds (the history's batch), which a transaction on the embedded database would wait on.
   */
  async export(userId: string, now: Date = new Date()): Promise<UserDataExport | undefined> {
    const db = this.dataSource.manager;
    const [user] = await db.query<Record<string, unknown>[]>(PROFILE, [userId]);
    if (!user) return undefined;
    const parts: Record<string, unknown> = {};
    const byName = [...this.parts.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const part of byName) if (part.export) parts[part.name] = await part.export(db, userId);
    return { exportedAt: now.toISOString(), user, ...parts };
  }

  /**
   * Erases everything of the user's in the caller's transaction, which holds the user's row locked: every part in
   * `registered()` order (so a refusal comes before any erasing), then the row itself. Answers what the parts
   * ask to be done once that transaction has committed.
   */
  async erase(db: EntityManager, userId: string): Promise<AfterErase[]> {
    const afterwards: AfterErase[] = [];
    for (const part of this.registered()) {
      const then = await part.erase(db, userId);
      if (then) afterwards.push(then);
    }
    await db.query('DELETE FROM users WHERE id = $1', [userId]);
    return afterwards;
  }
}

let registrations = 0;

function registration<D extends unknown[]>(
  inject: NonNullable<FactoryProvider['inject']>,
  build: (...dependencies: D) => readonly UserDataPart[],
): FactoryProvider {
  registrations += 1;
  return {
    // A token of its own each time: two features' registrations are two providers.
    provide: Symbol(`user data registration ${registrations}`),
    inject: [UserData, ...inject],
    useFactory: (registry: UserData, ...dependencies: D) => {
      const parts = build(...dependencies);
      registry.register(...parts);
      return parts.map((part) => part.name);
    },
  };
}

/**
 * The provider that registers a feature's parts when its module starts: one line in the module's `providers`
 * (the module imports UsersModule), e.g. `registerUserData(ownedRows({ name: 'notes', … }))`.
 */
export function registerUserData(...parts: UserDataPart[]): FactoryProvider {
  return registration([], () => parts);
}

/**
 * The same, for parts that need the module's own providers: `registerUserDataWith([AuditTrail], (trail:
 * AuditTrail) => [activityOf(trail)])`.
 */
export function registerUserDataWith<D extends unknown[]>(
  inject: NonNullable<FactoryProvider['inject']>,
  build: (...dependencies: D) => readonly UserDataPart[],
): FactoryProvider {
  return registration(inject, build);
}
