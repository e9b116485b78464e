export type { Argon2Queue, QueueWaitListener } from './argon2-queue';
export { UserDto } from './dto/user.dto';
export { EMAIL_MAX_LENGTH, normalizeEmail } from './email';
export { User } from './entities/user.entity';
export { PASSWORD_MAX_LENGTH, PasswordService } from './password.service';
export { UsersModule } from './users.module';
export { UsersService } from './users.service';
export type { CredentialCheck, NewUser } from './users.service';
