import { AppConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DeliverableMail } from '../delivery/mail-delivery';

export type ClaimedMail = DeliverableMail & { attempts: number };
export type GivenUpMail = { id: string; purpose: string; attempts: number };

// Still to deliver, and still worth delivering: not expired, not older than MAIL_GIVE_UP ($1, seconds).
const LIVE = `sent_at IS NULL AND given_up_at IS NULL
  AND (expires_at IS NULL OR expires_at > now()) AND created_at > now() - $1::int * interval '1 second'`;
// A link is a secret at rest: once a message is done with, only its record stays.
const WIPE = `subject = '', text = '', html = NULL, "to" = CASE WHEN forget_recipient THEN '' ELSE "to" END`;

/**
 * The outbox's statements. Each is one short statement, its own transaction: nothing here holds a transaction
 * open while a message is on the wire.
 */
@Injectable()
export class OutboxStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /**
   * Takes up to `limit` due messages for this instance: rows another instance is claiming are skipped, not waited
   * for, and each claimed row is leased for MAIL_SEND_LEASE (its next attempt pushed past the send) so nobody else
   * takes it meanwhile.
   */
  async claim(limit: number): Promise<ClaimedMail[]> {
    const [rows] = await this.dataSource.query<[ClaimedMail[], number]>(
      `UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = now() + $3::int * interval '1 second'
        WHERE id IN (
          SELECT id FROM mail_outbox WHERE ${LIVE} AND next_attempt_at <= now()
           ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id, "to", subject, text, html, purpose, attempts`,
      [this.config.mail.giveUpAfter, limit, this.config.mail.sendLease],
    );
    return rows;
  }

  async markSent(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE mail_outbox SET sent_at = now(), last_error = NULL, ${WIPE} WHERE id = $1`,
      [id],
    );
  }

  async markFailed(id: string, retryInSeconds: number, error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE mail_outbox SET next_attempt_at = now() + $2::int * interval '1 second', last_error = $3
        WHERE id = $1 AND sent_at IS NULL`,
      [id, retryInSeconds, error],
    );
  }

  async giveUp(id: string, error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE mail_outbox SET given_up_at = now(), last_error = $2, ${WIPE} WHERE id = $1 AND sent_at IS NULL`,
      [id, error],
    );
  }

  /** Gives up every undelivered message whose token has expired or that is older than MAIL_GIVE_UP. */
  async giveUpStale(): Promise<GivenUpMail[]> {
    const [rows] = await this.dataSource.query<[GivenUpMail[], number]>(
      `UPDATE mail_outbox SET given_up_at = now(), ${WIPE}
        WHERE sent_at IS NULL AND given_up_at IS NULL
          AND (expires_at <= now() OR created_at <= now() - $1::int * interval '1 second')
        RETURNING id, purpose, attempts`,
      [this.config.mail.giveUpAfter],
    );
    return rows;
  }

  /**
   * How many messages wait to be delivered (retries included) and how old the oldest is, in seconds: one
   * statement over the partial index of undelivered rows, for the metrics scrape.
   */
  async backlog(): Promise<{ waiting: number; oldestAgeSeconds: number }> {
    const [row] = await this.dataSource.query<{ waiting: number; oldest: number | null }[]>(
      `SELECT count(*)::int AS waiting, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest
         FROM mail_outbox WHERE ${LIVE}`,
      [this.config.mail.giveUpAfter],
    );
    return { waiting: Number(row.waiting), oldestAgeSeconds: Math.max(0, Number(row.oldest ?? 0)) };
  }

  /** Hands claimed messages back untried (on shutdown), due at once for whichever instance comes next. */
  async release(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(
      `UPDATE mail_outbox SET next_attempt_at = now(), attempts = attempts - 1
        WHERE id = ANY($1::uuid[]) AND sent_at IS NULL`,
      [ids],
    );
  }
}
