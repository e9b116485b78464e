import { AuditModule } from '@gatehouse/audit';
import { UsersModule } from '@gatehouse/users';
import { Module } from '@nestjs/common';
import { MeController } from './me.controller';

@Module({ imports: [UsersModule, AuditModule], controllers: [MeController] })
export class MeModule {}
