import { RateLimitStorage } from '@gatehouse/auth';
import { DatabasePing } from '@gatehouse/database';
import { MailDeliveryStatus } from '@gatehouse/mail';
import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
  HealthIndicatorStatus,
} from '@nestjs/terminus';

export type ComponentReport = { status: HealthIndicatorStatus };

export interface ReadinessReport {
  ready: boolean;
  /** The database always; Redis and SMTP only when configured. Only a status each, never an error's text. */
  details: Record<string, ComponentReport>;
}

/**
 * Whether this instance should get traffic: only the database decides. Redis and SMTP fail open (rate limits
 * fall back to this instance's memory, mail waits in the outbox), so they are reported, never a reason to refuse.
 */
@Injectable()
export class Readiness {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: DatabasePing,
    private readonly rateLimits: RateLimitStorage,
    private readonly mail: MailDeliveryStatus,
  ) {}

  async check(): Promise<ReadinessReport> {
    const [redis, smtp] = await Promise.all([this.rateLimits.sharedCountingUp(), this.mail.smtpReachable()]);
    let decisive: Record<string, ComponentReport>;
    let ready: boolean;
    try {
      decisive = (await this.health.check([() => this.databaseIndicator()])).details;
      ready = true;
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      // Terminus puts its result in the exception; only the statuses are kept for the client.
      decisive = { database: { status: 'down' } };
      ready = false;
    }
    const details: Record<string, ComponentReport> = { database: { status: decisive.database.status } };
    if (redis !== undefined) details.redis = { status: redis ? 'up' : 'down' };
    if (smtp !== undefined) details.smtp = { status: smtp ? 'up' : 'down' };
    return { ready, details };
  }

  private async databaseIndicator(): Promise<HealthIndicatorResult<'database'>> {
    const session = this.indicators.check('database');
    return (await this.database.isUp()) ? session.up() : session.down();
  }
}
