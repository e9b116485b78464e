import { ApiPropertyOptional } from '@nestjs/swagger';

/** What a native client sends to refresh or log out: the refresh token it was given in a body, with a proof. */
export class RefreshTokenBodyDto {
  @ApiPropertyOptional({
    description:
      'Only for a native client whose session is bound to a DPoP key (browsers use the cookie; a browser-like request’s body is ignored)',
  })
  refreshToken?: string;
}

/** What a refresh's body may carry: the organization to make active, and a native client's refresh token. */
export class RefreshBodyDto extends RefreshTokenBodyDto {
  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description:
      'Makes this organization the session’s active one (null: none); its access tokens carry `org: {id, role, permissions}`. Absent: the session keeps its choice',
  })
  organizationId?: string | null;
}
