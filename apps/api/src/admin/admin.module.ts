import { AuthModule } from '@gatehouse/auth';
import { UsersModule } from '@gatehouse/users';
import { Module } from '@nestjs/common';
import { AdminController } from './admin.controller';
import { AdminUsersService } from './admin-users.service';

@Module({
  imports: [UsersModule, AuthModule],
  controllers: [AdminController],
  providers: [AdminUsersService],
})
export class AdminModule {}
