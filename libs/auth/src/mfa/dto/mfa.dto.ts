import { RefreshTokenInBodyField } from '../../dpop/native-client';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';

const CodeField = () =>
  ApiPropertyOptional({ description: 'The 6-digit code the authenticator app shows', example: '123456' });
const RecoveryCodeField = () =>
  ApiPropertyOptional({
    description: 'One of the recovery codes, instead of `code`',
    example: 'k7m2-q4xa-…',
  });

/** A code from the app, or a recovery code: one of the two. */
export class SecondFactorDto {
  @CodeField()
  @ValidateIf((body: SecondFactorDto) => body.code !== undefined || body.recoveryCode === undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(16)
  code?: string;

  @RecoveryCodeField()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  recoveryCode?: string;
}

export class TotpCodeDto {
  @ApiProperty({ description: 'The 6-digit code the authenticator app shows', example: '123456' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(16)
  code: string;
}

export class VerifyMfaDto extends SecondFactorDto {
  @ApiProperty({ description: 'The mfaToken login answered' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  mfaToken: string;

  @RefreshTokenInBodyField()
  refreshTokenInBody?: boolean;
}

export class TotpSetupDto {
  @ApiProperty({ description: 'The base32 secret, for typing into the app by hand' })
  secret: string;

  @ApiProperty({ description: 'An otpauth:// URL (SHA1, 6 digits, 30 s) to show as a QR code' })
  otpauthUrl: string;
}

export class RecoveryCodesDto {
  @ApiProperty({ type: [String], description: 'Ten single-use codes, shown this once' })
  recoveryCodes: string[];
}
