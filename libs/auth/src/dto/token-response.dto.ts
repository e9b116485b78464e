import { UserDto } from '@gatehouse/users';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Login and refresh answer with this body; the refresh token travels only in the HttpOnly cookie. */
export class TokenResponseDto {
  @ApiProperty({
    description:
      'A JWT (typ at+jwt) to send as `Authorization: Bearer …` (or `DPoP …` with a proof, for a bound session); keep it in memory only',
  })
  accessToken: string;

  @ApiProperty({
    enum: ['Bearer', 'DPoP'],
    description: '`DPoP` when the session is bound to the proof’s key',
  })
  tokenType: 'Bearer' | 'DPoP';

  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 })
  expiresIn: number;

  @ApiProperty({ type: UserDto })
  user: UserDto;

  @ApiPropertyOptional({
    description:
      'Only for a DPoP-bound native client that asked with `refreshTokenInBody: true`: the refresh token, which it sends back as `{refreshToken}` with a proof (no cookie is set)',
  })
  refreshToken?: string;
}

/** Login's answer for a user with the second factor on: no token and no cookie until `mfa/verify`. */
export class MfaRequiredDto {
  @ApiProperty({ enum: [true] })
  mfaRequired: true;

  @ApiProperty({ description: 'Opaque, single-use, 5 minutes; accepted only by POST /api/auth/mfa/verify' })
  mfaToken: string;

  @ApiProperty({ type: [String], example: ['totp', 'recovery_code'] })
  methods: string[];

  @ApiProperty({ description: 'Seconds until the mfaToken expires', example: 300 })
  expiresIn: number;
}
