import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { RefreshTokenInBodyField } from '../../dpop/native-client';
import { EmailField } from '../../dto/text-rules';

export class EmailCodeRequestDto {
  @EmailField()
  email: string;
}

export class EmailCodeVerifyDto {
  @EmailField()
  email: string;

  @ApiProperty({
    description: 'The code from the mail; spaces and dashes between its digits are ignored',
    example: '01234567',
    maxLength: 32,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  code: string;

  @RefreshTokenInBodyField()
  refreshTokenInBody?: boolean;
}
