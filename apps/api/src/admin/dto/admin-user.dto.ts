import { User, UserDto } from '@gatehouse/users';
import { ApiProperty } from '@nestjs/swagger';

export class AdminUserDto extends UserDto {
  @ApiProperty({ description: 'True when the account may not log in' })
  disabled: boolean;

  static override from(user: User): AdminUserDto {
    return { ...UserDto.from(user), disabled: user.disabledAt !== null };
  }
}

export class AdminUserPageDto {
  @ApiProperty({ type: [AdminUserDto] })
  items: AdminUserDto[];

  @ApiProperty({ example: 42 })
  total: number;
}
