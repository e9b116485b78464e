import { roleIn } from '@gatehouse/orgs';
import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AccountChanges, NO_CHANGE } from '../../changes/account-changes';
import { ClientInfo } from '../../tokens/token.service';
import { AuthUser } from '../../tokens/token-types';
import { secretHash } from '../secret-hash';
import { NOT_ACTIVE } from '../../orgs/active-org.guard';
import { newApiKey, shownPrefix } from './api-key-text';
import { ApiKeyVerdicts } from './api-key-verdicts';
import { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';

/** Enough for every script and integration of one person; a runaway loop meets a 409, not a full table. */
export const MAX_API_KEYS_PER_USER = 100;

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  organization_id: string | null;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
}

const COLUMNS = 'id, name, prefix, scopes, organization_id, created_at, expires_at, last_used_at';

/**
 * A user's API keys. Making and deleting one are changes to how the account is entered, so both go through the
 * change function: a recent sign-in and a verified address to make one, a notice to the account's address either
 * way, and the security event.
 */
@Injectable()
export class ApiKeys {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly changes: AccountChanges,
    private readonly verdicts: ApiKeyVerdicts,
  ) {}

  async create(caller: AuthUser, body: CreateApiKeyDto, client: ClientInfo): Promise<CreatedApiKeyDto> {
    const organizationId = body.organizationId?.toLowerCase() ?? null;
    if (organizationId !== null && caller.org?.id !== organizationId)
      throw new ForbiddenException(NOT_ACTIVE);
    const id = randomUUID();
    const key = newApiKey();
    const created = await this.changes.change({
      kind: 'api_key_created',
      userId: caller.id,
      proof: { kind: 'recent_sign_in', caller },
      client,
      details: { apiKeyId: id },
      apply: async ({ db }) => {
        const [{ live }] = await db.query<{ live: number }[]>(
          `SELECT count(*)::int AS live FROM api_keys
            WHERE user_id = $1 AND (expires_at IS NULL OR expires_at > now())`,
          [caller.id],
        );
        if (live >= MAX_API_KEYS_PER_USER) {
          throw new ConflictException(`an account may hold at most ${MAX_API_KEYS_PER_USER} API keys`);
        }
        // The token's claim is checked again where it counts: a membership ended a moment ago makes no key.
        if (organizationId !== null && !(await roleIn(db, organizationId, caller.id))) {
          throw new ForbiddenException(NOT_ACTIVE);
        }
        const [row] = await db.query<ApiKeyRow[]>(
          `INSERT INTO api_keys (id, user_id, name, prefix, key_hash, scopes, expires_at, organization_id)
           VALUES ($1, $2, $3, $4, $5, $6,
                   CASE WHEN $7::int IS NULL THEN NULL ELSE now() + $7::int * interval '1 second' END, $8)
           RETURNING ${COLUMNS}`,
          [
            id,
            caller.id,
            body.name,
            shownPrefix(key),
            secretHash(key),
            body.scopes,
            body.expiresIn ?? null,
            organizationId,
          ],
        );
        return row;
      },
    });
    if (created === NO_CHANGE) throw new NotFoundException('user not found');
    return { ...dtoOf(created), key };
  }

  async list(caller: AuthUser): Promise<ApiKeyDto[]> {
    const rows = await this.dataSource.query<ApiKeyRow[]>(
      `SELECT ${COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY created_at DESC, id`,
      [caller.id],
    );
    return rows.map(dtoOf);
  }

  /** Deletes the caller's key; every instance refuses it from the moment the deletion commits. */
  async delete(caller: AuthUser, id: string, client: ClientInfo): Promise<void> {
    const deleted = await this.changes.change({
      kind: 'api_key_deleted',
      userId: caller.id,
      proof: { kind: 'session', caller },
      client,
      details: { apiKeyId: id },
      apply: async ({ db }) => {
        const [rows] = await db.query<[{ id: string }[], number]>(
          'DELETE FROM api_keys WHERE id = $1 AND user_id = $2 RETURNING id',
          [id, caller.id],
        );
        if (rows.length === 0) return NO_CHANGE;
        await this.verdicts.announce(db, [id]);
        return true;
      },
    });
    if (deleted === NO_CHANGE) throw new NotFoundException('API key not found');
    this.verdicts.forget([id]);
  }
}

function dtoOf(row: ApiKeyRow): ApiKeyDto {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    ...(row.organization_id ? { organizationId: row.organization_id } : {}),
    createdAt: new Date(row.created_at),
    expiresAt: row.expires_at ? new Date(row.expires_at) : null,
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at) : null,
  };
}
