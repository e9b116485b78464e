import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { EmailField, PasswordField } from '../../dto/text-rules';

/** The token of an email link, as the front end read it from the fragment. */
const TokenField = () =>
  ApiProperty({ description: 'The token from the link (after `#…=`)', example: 'q3Jx…', maxLength: 256 });

export class EmailTokenDto {
  @TokenField()
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  token: string;
}

export class ForgotPasswordDto {
  @EmailField()
  email: string;
}

export class ResetPasswordDto {
  @TokenField()
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  token: string;

  @PasswordField('the new password: the same policy as at registration')
  newPassword: string;

  @ApiPropertyOptional({ description: 'A code from the authenticator app, when the second factor is on' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  code?: string;

  @ApiPropertyOptional({ description: 'A recovery code, instead of `code`' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  recoveryCode?: string;
}

export class ChangeEmailDto {
  @EmailField()
  newEmail: string;

  @PasswordField('the password in use now')
  currentPassword: string;
}

export class AcceptedDto {
  @ApiProperty({ example: 'accepted' })
  status: 'accepted';
}

/** The one answer of every route that mails an address someone typed, whether or not it is an account's. */
export const ACCEPTED: AcceptedDto = { status: 'accepted' };
