import { AuditModule } from '@gatehouse/audit';
import { AuthModule } from '@gatehouse/auth';
import { UsersModule } from '@gatehouse/users';
import { Module } from '@nestjs/common';
import { AdminAuditController } from './admin-audit.controller';
import { AdminController } from './admin.controller';
import { AdminUsersService } from './admin-users.service';
import { WebhooksController } from './webhooks.controller';

@Module({
  imports: [UsersModule, AuthModule, AuditModule],
  controllers: [AdminController, AdminAuditController, WebhooksController],
  providers: [AdminUsersService],
})
export class AdminModule {}
