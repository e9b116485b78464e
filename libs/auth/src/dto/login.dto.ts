import { RefreshTokenInBodyField } from '../dpop/native-client';
import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { PasswordField } from './text-rules';

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'email must not contain control characters' })
  email: string;

  @PasswordField('the account password')
  password: string;

  @RefreshTokenInBodyField()
  refreshTokenInBody?: boolean;
}
