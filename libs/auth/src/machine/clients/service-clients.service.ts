import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { announceRevocations, CLIENT_ID } from '../../revocation/revocation-notice';
import { RevocationService } from '../../revocation/revocation.service';
import { SecurityEvents } from '../../security-events';
import { isDeclaredScope } from '../scopes';
import { secretHash } from '../secret-hash';
import { CreatedServiceClientDto, ServiceClientDto } from './dto/service-client.dto';

/** `gcl_` and 16 random bytes: public, but unguessable, so a client id names one client and tells of no other. */
const CLIENT_ID_PREFIX = 'gcl_';
const CLIENT_ID_BYTES = 16;
const RANDOM_BYTES = 32;

/** A client allowed to ask for tokens, as authentication finds it. */
export interface AuthenticatedClient {
  readonly clientId: string;
  readonly scopes: readonly string[];
}

interface ServiceClientRow {
  id: string;
  client_id: string;
  name: string;
  scopes: string[];
  created_at: Date;
}

/** Compared against when no client has the id, so an unknown id costs what a wrong secret costs. */
const NO_CLIENT_HASH = secretHash(randomBytes(RANDOM_BYTES).toString('base64url'));

/**
 * Service clients of the OAuth client-credentials grant: made, listed and deleted by an admin, authenticated by
 * the token endpoint. A deletion marks the row and reaches every instance's revocation set (NOTIFY in the same
 * transaction, and the periodic re-read of recent deletions), so the client's outstanding tokens stop at once.
 */
@Injectable()
export class ServiceClients {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly revocations: RevocationService,
    private readonly events: SecurityEvents,
  ) {}

  /** A new client and its secret: the secret is in this answer only, the database keeps its hash. */
  async create(adminId: string, name: string, scopes: readonly string[]): Promise<CreatedServiceClientDto> {
    if (!scopes.every(isDeclaredScope)) {
      throw new BadRequestException('scopes must hold only scopes listed by GET /api/auth/scopes');
    }
    const clientId = CLIENT_ID_PREFIX + randomBytes(CLIENT_ID_BYTES).toString('base64url');
    const clientSecret = randomBytes(RANDOM_BYTES).toString('base64url');
    const granted = [...new Set(scopes)];
    const [row] = await this.dataSource.query<ServiceClientRow[]>(
      `INSERT INTO service_clients (client_id, name, secret_hash, scopes, created_by)
       VALUES ($1, $2, $3, $4, $5)
       RETURNING id, client_id, name, scopes, created_at`,
      [clientId, name, secretHash(clientSecret), granted, adminId],
    );
    this.events.record('client.created', { userId: adminId, clientId, scopes: granted });
    return { id: row.id, clientId: row.client_id, clientSecret, scopes: row.scopes };
  }

  /** The clients not deleted, newest first, without their secrets (only hashes are kept anyway). */
  async list(): Promise<ServiceClientDto[]> {
    const rows = await this.dataSource.query<ServiceClientRow[]>(
      `SELECT id, client_id, name, scopes, created_at FROM service_clients
        WHERE deleted_at IS NULL ORDER BY created_at DESC, id`,
    );
    return rows.map((row) => ({
      id: row.id,
      clientId: row.client_id,
      name: row.name,
      scopes: row.scopes,
      createdAt: new Date(row.created_at),
    }));
  }

  /**
   * Marks the client deleted and tells every instance in the same transaction; once it commits, this instance
   * refuses the client's tokens too. A client already deleted is not found.
   */
  async delete(adminId: string, id: string): Promise<void> {
    const deleted = await this.dataSource.transaction(async (db) => {
      const [rows] = await db.query<[{ client_id: string; deleted_at: Date }[], number]>(
        `UPDATE service_clients SET deleted_at = now()
          WHERE id = $1 AND deleted_at IS NULL
          RETURNING client_id, deleted_at`,
        [id],
      );
      const row = rows[0];
      if (!row) return undefined;
      const at = new Date(row.deleted_at);
      await announceRevocations(db, { at, ids: [row.client_id] });
      return { clientId: row.client_id, at };
    });
    if (!deleted) throw new NotFoundException('service client not found');
    this.revocations.add([deleted.clientId], deleted.at);
    this.events.record('client.deleted', { userId: adminId, clientId: deleted.clientId });
  }

  /**
   * The live client with this id and secret, or undefined. An unknown id or a deleted client costs the same
   * hash and comparison as a wrong secret, so the answer's timing does not say which it was.
   */
  async authenticate(clientId: string, secret: string): Promise<AuthenticatedClient | undefined> {
    // Only a well-formed id reaches the database: a form value may hold anything, NUL bytes included.
    const rows = CLIENT_ID.test(clientId)
      ? await this.dataSource.query<{ secret_hash: Uint8Array; scopes: string[] }[]>(
          'SELECT secret_hash, scopes FROM service_clients WHERE client_id = $1 AND deleted_at IS NULL',
          [clientId],
        )
      : [];
    const stored = rows[0] ? Buffer.from(rows[0].secret_hash) : NO_CLIENT_HASH;
    const presented = secretHash(secret);
    const matches = stored.length === presented.length && timingSafeEqual(stored, presented);
    return rows[0] && matches ? { clientId, scopes: rows[0].scopes } : undefined;
  }

  /**
   * Adds the clients deleted within `lookBackSeconds` (at most one token lifetime) to the revocation set: at start,
   * and as the safety net behind NOTIFY. The window is applied on the database's clock.
   */
  async loadRecentDeletions(lookBackSeconds = this.revocations.horizonSeconds): Promise<number> {
    const rows = await this.dataSource.query<{ client_id: string; deleted_at: Date }[]>(
      `SELECT client_id, deleted_at FROM service_clients WHERE deleted_at > now() - $1 * interval '1 second'`,
      [Math.min(lookBackSeconds, this.revocations.horizonSeconds)],
    );
    for (const row of rows) this.revocations.add([row.client_id], new Date(row.deleted_at));
    return rows.length;
  }
}
