import { AppConfig } from '@gatehouse/config';
import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ApiResponseCodes } from '../../decorators/api-errors.decorator';
import { Public } from '../../decorators/public.decorator';
import { DPOP_ALGORITHMS } from '../../dpop/dpop-proof';
import { declaredScopes } from '../scopes';
import { TOKEN_ENDPOINT } from './token-request';

/** RFC 8414 §2: what a client needs to get a token, and a resource server to check one. */
export class AuthorizationServerMetadataDto {
  @ApiProperty({
    example: 'https://auth.example.com',
    description: 'The `iss` of every token Gatehouse signs',
  })
  issuer: string;

  @ApiProperty({ example: 'https://auth.example.com/api/oauth/token' })
  token_endpoint: string;

  @ApiProperty({ example: 'https://auth.example.com/.well-known/jwks.json' })
  jwks_uri: string;

  @ApiProperty({ type: [String], example: ['client_credentials'] })
  grant_types_supported: string[];

  @ApiProperty({ type: [String], example: ['client_secret_basic', 'client_secret_post'] })
  token_endpoint_auth_methods_supported: string[];

  @ApiProperty({ type: [String], example: ['notes:read', 'notes:write'] })
  scopes_supported: string[];

  @ApiPropertyOptional({ type: [String], example: ['ES256'], description: 'Absent with DPOP=off' })
  dpop_signing_alg_values_supported?: string[];

  @ApiProperty({ type: [String], example: [], description: 'None: there is no authorization endpoint' })
  response_types_supported: string[];
}

/**
 * RFC 8414 discovery at `<issuer>/.well-known/oauth-authorization-server`, outside the `/api` prefix as the
 * RFC places it: with the default JWT_ISSUER (PUBLIC_URL) a standard OAuth client library finds the token
 * endpoint from the issuer alone, and a resource server verifies tokens with nothing but this document.
 */
@ApiTags('service-clients')
@Controller('.well-known')
export class AuthorizationServerMetadataController {
  private readonly metadata: Omit<AuthorizationServerMetadataDto, 'scopes_supported'>;

  constructor(config: AppConfig) {
    const origin = config.urls.publicUrl;
    this.metadata = {
      issuer: config.tokens.issuer,
      token_endpoint: `${origin}${TOKEN_ENDPOINT}`,
      jwks_uri: `${origin}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: [],
      ...(config.dpop.mode === 'off' ? {} : { dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS] }),
    };
  }

  @Public()
  @Get('oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOkResponse({
    type: AuthorizationServerMetadataDto,
    description: 'Where to get a token, how to authenticate, and the keys that verify it',
  })
  @ApiResponseCodes(429)
  @ApiOperation({ summary: 'OAuth 2.0 authorization server metadata (RFC 8414)' })
  metadataDocument(): AuthorizationServerMetadataDto {
    return { ...this.metadata, scopes_supported: declaredScopes().map(({ scope }) => scope) };
  }
}
