import { AppConfig } from '@gatehouse/config';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { join } from 'node:path';
import { FileDelivery } from './delivery/file-delivery';
import { MailDelivery } from './delivery/mail-delivery';
import { MailDeliveryStatus } from './delivery/mail-delivery-status';
import { SmtpDelivery } from './delivery/smtp-delivery';
import { OutboxMessage } from './entities/outbox-message.entity';
import { MailMeasurements } from './mail-measurements';
import { MailService } from './mail.service';
import { OutboxSender } from './outbox/outbox-sender';
import { OutboxStore } from './outbox/outbox-store';

/**
 * Mail through a transactional outbox. A plain module: however many modules import it, Nest builds it once, so
 * each instance runs one sender.
 */
@Module({
  imports: [TypeOrmModule.forFeature([OutboxMessage])],
  providers: [
    MailService,
    MailMeasurements,
    OutboxStore,
    OutboxSender,
    MailDeliveryStatus,
    {
      provide: MailDelivery,
      inject: [AppConfig],
      useFactory: (config: AppConfig): MailDelivery =>
        config.mail.smtpUrl
          ? new SmtpDelivery(config.mail.smtpUrl, config.mail.from)
          : new FileDelivery(join(config.database.dataDir, 'outbox'), config.mail.from),
    },
  ],
  exports: [MailService, MailDeliveryStatus, MailMeasurements],
})
export class MailModule {}
