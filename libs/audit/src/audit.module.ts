import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditTrail } from './audit-trail';
import { AuditEvent } from './entities/audit-event.entity';
import { WebhookDelivery } from './webhooks/entities/webhook-delivery.entity';
import { WebhookEndpoint } from './webhooks/entities/webhook-endpoint.entity';
import { WebhookEndpoints } from './webhooks/webhook-endpoints';
import { WebhookSender } from './webhooks/webhook-sender';
import { Webhooks } from './webhooks/webhooks';

/**
 * The account history and the webhooks that report account events. A plain module: however many modules import
 * it, each instance has one trail and one sender.
 */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent, WebhookEndpoint, WebhookDelivery])],
  providers: [AuditTrail, Webhooks, WebhookSender, WebhookEndpoints],
  exports: [AuditTrail, Webhooks, WebhookEndpoints],
})
export class AuditModule {}
