import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsNotEmpty, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { PASSWORD_INPUT_MAX } from '../../dto/text-rules';
import { AuthenticationCredentialDto } from '../../passkeys/dto/passkey.dto';

/** One proof that the caller is still the account's owner: exactly one of the four. */
export class ReauthenticateDto {
  @ApiPropertyOptional({ description: 'The account password', format: 'password' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_INPUT_MAX)
  password?: string;

  @ApiPropertyOptional({ description: 'The 6-digit code the authenticator app shows', example: '123456' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(16)
  code?: string;

  @ApiPropertyOptional({ description: 'One of the recovery codes', example: 'k7m2-q4xa-…' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  recoveryCode?: string;

  @ApiPropertyOptional({
    type: AuthenticationCredentialDto,
    description:
      'PublicKeyCredential.toJSON() of an assertion for the options of POST /api/auth/reauthenticate/passkey-options',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => AuthenticationCredentialDto)
  credential?: AuthenticationCredentialDto;
}
