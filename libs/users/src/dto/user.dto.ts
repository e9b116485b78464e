import { ApiProperty } from '@nestjs/swagger';
import { User } from '../entities/user.entity';

/** A user as every API response shows it: never a password hash, never a token. */
export class UserDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ada@example.com' })
  email: string;

  @ApiProperty({ description: 'True once the user has proven they receive mail at this address' })
  emailVerified: boolean;

  @ApiProperty({ type: String, nullable: true, example: 'Ada' })
  displayName: string | null;

  @ApiProperty({ type: [String], example: ['user'] })
  roles: string[];

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  static from(user: User): UserDto {
    return {
      id: user.id,
      email: user.email,
      emailVerified: user.emailVerifiedAt !== null,
      displayName: user.displayName,
      roles: [...user.roles],
      createdAt: user.createdAt,
    };
  }
}
