import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The form a token request carries (RFC 6749 §4.4.2), as the OpenAPI document describes it. */
export class ClientTokenRequestDto {
  @ApiProperty({ enum: ['client_credentials'] })
  grant_type: string;

  @ApiPropertyOptional({
    example: 'notes:read',
    description: 'Space-separated scopes, each granted to the client; absent or empty: every scope it holds',
  })
  scope?: string;

  @ApiPropertyOptional({ description: 'client_secret_post only (otherwise HTTP Basic)' })
  client_id?: string;

  @ApiPropertyOptional({ description: 'client_secret_post only (otherwise HTTP Basic)' })
  client_secret?: string;
}

/** RFC 6749 §5.1: the successful answer. */
export class ClientTokenDto {
  @ApiProperty({ description: 'An at+jwt access token whose sub and client_id are the client' })
  access_token: string;

  @ApiProperty({ enum: ['Bearer', 'DPoP'], description: 'DPoP when the request carried a valid DPoP proof' })
  token_type: 'Bearer' | 'DPoP';

  @ApiProperty({ example: 300, description: 'Seconds until the token expires (CLIENT_TOKEN_TTL)' })
  expires_in: number;

  @ApiProperty({ example: 'notes:read notes:write', description: 'The scopes granted, space-separated' })
  scope: string;
}

/** RFC 6749 §5.2: how the token endpoint refuses a request (not Nest's error shape). */
export class TokenErrorDto {
  @ApiProperty({
    enum: [
      'invalid_request',
      'invalid_client',
      'unsupported_grant_type',
      'invalid_scope',
      'invalid_dpop_proof',
      'use_dpop_nonce',
    ],
  })
  error: string;

  @ApiProperty({ example: 'grant_type is required' })
  error_description: string;
}
