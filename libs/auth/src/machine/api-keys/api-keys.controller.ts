import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { RequireRecentSignIn } from '../../changes/recent-sign-in.guard';
import { ApiResponseCodes, ErrorDto } from '../../decorators/api-errors.decorator';
import { CurrentUser } from '../../decorators/current-user.decorator';
import { RequestClient } from '../../decorators/request-client.decorator';
import { ClientInfo } from '../../tokens/token.service';
import { AuthUser } from '../../tokens/token-types';
import { ApiKeys } from './api-keys.service';
import { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';

/**
 * A user's API keys, for scripts acting as that user within the key's scopes. Managing keys is sign-in
 * management: no API key or service client reaches these routes (they declare no scope).
 */
@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('auth/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeys) {}

  @Post()
  @RequireRecentSignIn()
  @Header('Cache-Control', 'no-store')
  @ApiCreatedResponse({
    type: CreatedApiKeyDto,
    description: 'The key, shown this once; only its hash is kept',
  })
  @ApiUnauthorizedResponse({
    type: ErrorDto,
    description:
      'No valid access token, or a sign-in older than REAUTH_MAX_AGE (insufficient_user_authentication)',
  })
  @ApiForbiddenResponse({
    type: ErrorDto,
    description: 'The email address is not verified, or a machine credential',
  })
  @ApiConflictResponse({ type: ErrorDto, description: 'The account holds the most keys it may' })
  @ApiResponseCodes(400)
  @ApiOperation({ summary: 'Create an API key' })
  create(
    @CurrentUser() caller: AuthUser,
    @Body() body: CreateApiKeyDto,
    @RequestClient() client: ClientInfo,
  ): Promise<CreatedApiKeyDto> {
    return this.keys.create(caller, body, client);
  }

  @Get()
  @ApiOkResponse({ type: [ApiKeyDto], description: 'Newest first, without the keys' })
  @ApiResponseCodes(401, 403)
  @ApiOperation({ summary: "List the user's API keys" })
  list(@CurrentUser() caller: AuthUser): Promise<ApiKeyDto[]> {
    return this.keys.list(caller);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Deleted: refused on every instance from now on' })
  @ApiResponseCodes(400, 401, 403, 404)
  @ApiOperation({ summary: 'Delete an API key' })
  async remove(
    @CurrentUser() caller: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @RequestClient() client: ClientInfo,
  ): Promise<void> {
    await this.keys.delete(caller, id, client);
  }
}
