import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiResponseCodes } from './decorators/api-errors.decorator';
import { Public } from './decorators/public.decorator';
import { KeyService } from './keys/key.service';

@ApiTags('auth')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: KeyService) {}

  @Public()
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOkResponse({
    description: 'The public keys that verify access tokens: the current one and the previous ones',
  })
  @ApiResponseCodes(429)
  @ApiOperation({ summary: 'Public keys that verify access tokens' })
  jwks(): { keys: Record<string, unknown>[] } {
    return this.keys.jwks();
  }
}
