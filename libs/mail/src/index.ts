export { MailModule } from './mail.module';
export { MailService } from './mail.service';
export type { OutgoingMail } from './outgoing-mail';
export { MailDeliveryStatus } from './delivery/mail-delivery-status';
export { MailMeasurements } from './mail-measurements';
export type { DeliveryOutcome } from './mail-measurements';
