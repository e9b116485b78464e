import { AuditModule } from '@gatehouse/audit';
import { AuthModule } from '@gatehouse/auth';
import { UsersModule } from '@gatehouse/users';
import { Module } from '@nestjs/common';
import { AccountController } from './account.controller';
import { MeController } from './me.controller';

@Module({ imports: [UsersModule, AuditModule, AuthModule], controllers: [MeController, AccountController] })
export class MeModule {}
