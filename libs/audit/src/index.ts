export type { AuditEntry, AuditQuery, AuditRecord } from './audit-entry';
export { AuditModule } from './audit.module';
export { AuditTrail } from './audit-trail';
export { AuditEvent } from './entities/audit-event.entity';
export { WebhookDelivery } from './webhooks/entities/webhook-delivery.entity';
export { WebhookEndpoint } from './webhooks/entities/webhook-endpoint.entity';
export { isWebhookEvent, WEBHOOK_EVENTS } from './webhooks/webhook-events';
export type { WebhookEvent } from './webhooks/webhook-events';
export { WEBHOOK_CHANNEL, Webhooks } from './webhooks/webhooks';
export { WebhookEndpoints } from './webhooks/webhook-endpoints';
export type {
  CreatedWebhookEndpoint,
  WebhookChangeBy,
  WebhookEndpointView,
} from './webhooks/webhook-endpoints';
export { WEBHOOK_URL_MAX_LENGTH, webhookUrlProblem } from './webhooks/webhook-url';
