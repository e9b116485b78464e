import { AppConfig } from '@gatehouse/config';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';

type Subscriber = { onMessage: (payload: string) => void; onReconnect: () => void };

const FIRST_RETRY_MS = 250;
// Revocations must reach every instance within 2 s, also those made the moment a restarted server is back: a retry
// at least every second keeps that (a 5 s ceiling let a revocation wait for the next periodic reload).
const LAST_RETRY_MS = 1000;
// A connection can die without a word (a NAT or firewall dropping it, a host gone): TCP keep-alive notices only
// after many minutes. A no-op round trip every few seconds, with a deadline, notices within seconds.
const PROBE_INTERVAL_MS = 3000;
const PROBE_TIMEOUT_MS = 2000;

/**
 * PostgreSQL LISTEN on a dedicated connection, outside the pool, re-established after a drop (with backoff).
 * Each re-connection is reported to the subscriber, who should then catch up on what it may have missed.
 * On the embedded database there is one process and so nobody else to hear from: listening is a no-op.
 */
@Injectable()
export class DatabaseNotifications implements OnApplicationShutdown {
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly log = new Logger(DatabaseNotifications.name);
  private client?: Client;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer?: NodeJS.Timeout;
  private probeTimer?: NodeJS.Timeout;
  private stopped = false;
  private connectedBefore = false;

  constructor(private readonly config: AppConfig) {}

  get enabled(): boolean {
    return this.config.database.url !== undefined;
  }

  async listen(channel: string, subscriber: Subscriber): Promise<void> {
    if (!this.enabled) return;
    this.subscribers.set(channel, subscriber);
    if (this.client) await this.client.query(`LISTEN "${channel}"`);
    else await this.connect();
  }

  onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.probeTimer);
    const client = this.client;
    this.client = undefined;
    return client ? client.end().catch(() => undefined) : Promise.resolve();
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.config.database.url,
      application_name: 'gatehouse-listener',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client.on('notification', (message) => {
      this.subscribers.get(message.channel)?.onMessage(message.payload ?? '');
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      for (const channel of this.subscribers.keys()) await client.query(`LISTEN "${channel}"`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
    this.probe(client);
    const reconnected = this.connectedBefore;
    this.connectedBefore = true;
    if (reconnected) {
      this.log.log('LISTEN connection re-established');
      for (const subscriber of this.subscribers.values()) subscriber.onReconnect();
    }
  }

  /** Replaces the connection when a no-op query on it gets no answer in time. */
  private probe(client: Client): void {
    clearInterval(this.probeTimer);
    let inFlight = false;
    this.probeTimer = setInterval(() => {
      if (inFlight) return;
      inFlight = true;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('no answer to a probe')), PROBE_TIMEOUT_MS);
      });
      Promise.race([client.query('SELECT 1'), deadline])
        .then(
          () => undefined,
          (error: unknown) => this.lost(client, error),
        )
        .finally(() => {
          clearTimeout(timer);
          inFlight = false;
        });
    }, PROBE_INTERVAL_MS);
    this.probeTimer.unref();
  }

  private lost(client: Client, error?: unknown): void {
    if (this.client !== undefined && this.client !== client) return;
    if (this.client === client) clearInterval(this.probeTimer);
    this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.stopped || this.retryTimer) return;
    const reason = error instanceof Error ? error.message : 'connection closed';
    this.log.warn(`LISTEN connection lost (${reason}); retrying in ${this.retryMs} ms`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
  }
}
