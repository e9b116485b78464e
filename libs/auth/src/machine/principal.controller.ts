import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiResponseCodes } from '../decorators/api-errors.decorator';
import { CurrentCaller } from '../decorators/current-user.decorator';
import { Public } from '../decorators/public.decorator';
import { AuthUser } from '../tokens/token-types';
import { AnyCredential, declaredScopes } from './scopes';

export class ScopeDto {
  @ApiProperty({ example: 'notes:read' })
  scope: string;

  @ApiProperty({ example: 'Read your notes' })
  description: string;
}

export class PrincipalDto {
  @ApiProperty({ enum: ['user', 'apiKey', 'client'] })
  kind: 'user' | 'apiKey' | 'client';

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null for a service client' })
  userId: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: "the service client's client_id, or the API key's id; null for a user's own session",
  })
  clientId: string | null;

  @ApiProperty({
    type: [String],
    description: 'what the credential may do; a user’s own session holds every scope',
  })
  scopes: string[];

  static of(caller: AuthUser): PrincipalDto {
    const credential = caller.credential;
    if (credential === undefined) {
      return {
        kind: 'user',
        userId: caller.id,
        clientId: null,
        scopes: declaredScopes().map(({ scope }) => scope),
      };
    }
    if (credential.kind === 'apiKey') {
      return {
        kind: 'apiKey',
        userId: caller.id,
        clientId: credential.keyId,
        scopes: [...credential.scopes],
      };
    }
    return { kind: 'client', userId: null, clientId: credential.clientId, scopes: [...credential.scopes] };
  }
}

/** What machine credentials may be given, and who a credential is. */
@ApiTags('auth')
@Controller('auth')
export class PrincipalController {
  @Public()
  @Get('scopes')
  @ApiOkResponse({ type: [ScopeDto], description: 'Every scope a route declares, sorted by name' })
  @ApiResponseCodes(429)
  @ApiOperation({ summary: 'The scopes API keys and service clients may be given' })
  scopes(): ScopeDto[] {
    return declaredScopes();
  }

  @AnyCredential()
  @Get('principal')
  @ApiBearerAuth()
  @ApiOkResponse({ type: PrincipalDto })
  @ApiResponseCodes(401)
  @ApiOperation({ summary: 'Who is calling: a user, an API key or a service client, with its scopes' })
  principal(@CurrentCaller() caller: AuthUser): PrincipalDto {
    return PrincipalDto.of(caller);
  }
}
