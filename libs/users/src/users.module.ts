import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminSeeder } from './admin-seeder';
import { User } from './entities/user.entity';
import { PasswordService } from './password.service';
import { UserData } from './user-data/user-data';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User])],
  providers: [UsersService, PasswordService, AdminSeeder, UserData],
  exports: [UsersService, PasswordService, UserData],
})
export class UsersModule {}
