import { ApiPropertyOptional } from '@nestjs/swagger';

/** What a native client sends to refresh or log out: the refresh token it was given in a body, with a proof. */
export class RefreshTokenBodyDto {
  @ApiPropertyOptional({
    description:
      'Only for a native client whose session is bound to a DPoP key (browsers use the cookie; a browser-like request’s body is ignored)',
  })
  refreshToken?: string;
}
