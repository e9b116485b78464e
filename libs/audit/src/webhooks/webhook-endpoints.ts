import { AppConfig } from '@gatehouse/config';
import { BadRequestException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditTrail } from '../audit-trail';
import { isWebhookEvent, WebhookEvent } from './webhook-events';
import { newWebhookSecret } from './webhook-signature';
import { webhookUrlProblem } from './webhook-url';

/** An endpoint as an administrator sees it once made: never its secret. */
export interface WebhookEndpointView {
  id: string;
  url: string;
  events: WebhookEvent[];
  createdAt: Date;
}

/** The answer to making an endpoint: the only time its secret is shown. */
export interface CreatedWebhookEndpoint {
  id: string;
  url: string;
  events: WebhookEvent[];
  secret: string;
}

/** Who asked, for the account history. */
export interface WebhookChangeBy {
  readonly adminId: string;
  readonly ip?: string;
  readonly userAgent?: string;
}

type EndpointRow = { id: string; url: string; events: WebhookEvent[]; created_at: Date };

const view = (row: EndpointRow): WebhookEndpointView => ({
  id: row.id,
  url: row.url,
  events: row.events,
  createdAt: new Date(row.created_at),
});

/**
 * The receivers of webhooks, made, listed and deleted by administrators. Making or deleting one is recorded in the
 * administrator's history, in the same transaction; a deleted endpoint's undelivered deliveries go with it.
 */
@Injectable()
export class WebhookEndpoints {
  private readonly log = new Logger(WebhookEndpoints.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly trail: AuditTrail,
  ) {}

  /** A new endpoint and its secret; `events` once each, in the order given. */
  async create(by: WebhookChangeBy, url: string, events: readonly string[]): Promise<CreatedWebhookEndpoint> {
    const problem = webhookUrlProblem(url, this.config.production);
    if (problem) throw new BadRequestException(problem);
    if (events.length === 0 || !events.every(isWebhookEvent)) {
      throw new BadRequestException('events must name at least one known event');
    }
    const subscribed = [...new Set(events)];
    const secret = newWebhookSecret();
    const row = await this.dataSource.transaction(async (db) => {
      const [made] = await db.query<EndpointRow[]>(
        `INSERT INTO webhook_endpoints (url, events, secret) VALUES ($1, $2, $3)
         RETURNING id, url, events, created_at`,
        [url, subscribed, secret],
      );
      await this.trail.append(db, {
        type: 'webhook.created',
        userId: by.adminId,
        ip: by.ip,
        userAgent: by.userAgent,
        details: { webhookId: made.id, events: subscribed },
      });
      return made;
    });
    this.log.log(`webhook endpoint ${row.id} made for ${subscribed.join(', ')}`);
    return { id: row.id, url: row.url, events: row.events, secret };
  }

  /** Every endpoint, newest first. */
  async list(): Promise<WebhookEndpointView[]> {
    const rows = await this.dataSource.query<EndpointRow[]>(
      'SELECT id, url, events, created_at FROM webhook_endpoints ORDER BY created_at DESC, id',
    );
    return rows.map(view);
  }

  async find(id: string): Promise<WebhookEndpointView> {
    const [row] = await this.dataSource.query<EndpointRow[]>(
      'SELECT id, url, events, created_at FROM webhook_endpoints WHERE id = $1',
      [id],
    );
    if (!row) throw new NotFoundException('webhook endpoint not found');
    return view(row);
  }

  /** Deletes the endpoint, and with it whatever it had still to receive. */
  async remove(by: WebhookChangeBy, id: string): Promise<void> {
    const deleted = await this.dataSource.transaction(async (db) => {
      const [, count] = await db.query<[unknown, number]>('DELETE FROM webhook_endpoints WHERE id = $1', [
        id,
      ]);
      if (count === 0) return false;
      await this.trail.append(db, {
        type: 'webhook.deleted',
        userId: by.adminId,
        ip: by.ip,
        userAgent: by.userAgent,
        details: { webhookId: id },
      });
      return true;
    });
    if (!deleted) throw new NotFoundException('webhook endpoint not found');
    this.log.log(`webhook endpoint ${id} deleted`);
  }
}
