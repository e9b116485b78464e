import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { EmailField, PasswordField } from './text-rules';

export class RegisterDto {
  @EmailField()
  email: string;

  @PasswordField('PASSWORD_MIN_LENGTH (default 15) to 128 characters; refused when it is a common password')
  password: string;

  @ApiPropertyOptional({ example: 'Ada', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'displayName must not contain control characters' })
  displayName?: string;
}
