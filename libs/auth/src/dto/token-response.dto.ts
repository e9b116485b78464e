import { UserDto } from '@gatehouse/users';
import { ApiProperty } from '@nestjs/swagger';

/** Login and refresh answer with this body; the refresh token travels only in the HttpOnly cookie. */
export class TokenResponseDto {
  @ApiProperty({
    description: 'A JWT (typ at+jwt) to send as `Authorization: Bearer …`; keep it in memory only',
  })
  accessToken: string;

  @ApiProperty({ enum: ['Bearer'] })
  tokenType: 'Bearer';

  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 })
  expiresIn: number;

  @ApiProperty({ type: UserDto })
  user: UserDto;
}
