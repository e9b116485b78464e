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
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiResponseCodes } from '../../decorators/api-errors.decorator';
import { CurrentUser } from '../../decorators/current-user.decorator';
import { Roles } from '../../decorators/roles.decorator';
import { AuthUser } from '../../tokens/token-types';
import { CreateServiceClientDto } from './dto/create-service-client.dto';
import { CreatedServiceClientDto, ServiceClientDto } from './dto/service-client.dto';
import { ServiceClients } from './service-clients.service';

/**
 * Service clients of the client-credentials grant, managed by admins (with ADMIN_REQUIRE_MFA, by admins signed in
 * with a second factor). Admin routes declare no scope: no API key or client token reaches them.
 */
@ApiTags('admin')
@ApiBearerAuth()
@ApiResponseCodes(401, 403)
@Roles('admin')
@Controller('admin/clients')
export class ServiceClientsController {
  constructor(private readonly clients: ServiceClients) {}

  @Post()
  @Header('Cache-Control', 'no-store')
  @ApiCreatedResponse({
    type: CreatedServiceClientDto,
    description: 'The client and its secret, shown this once; only the secret’s hash is kept',
  })
  @ApiResponseCodes(400)
  @ApiOperation({ summary: 'Create a service client (admin)' })
  create(
    @CurrentUser() admin: AuthUser,
    @Body() body: CreateServiceClientDto,
  ): Promise<CreatedServiceClientDto> {
    return this.clients.create(admin.id, body.name, body.scopes);
  }

  @Get()
  @ApiOkResponse({
    type: [ServiceClientDto],
    description: 'Every client not deleted, newest first, without secrets',
  })
  @ApiOperation({ summary: 'List service clients (admin)' })
  list(): Promise<ServiceClientDto[]> {
    return this.clients.list();
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Deleted: its tokens are refused on every instance within seconds' })
  @ApiResponseCodes(400, 404)
  @ApiOperation({ summary: 'Delete a service client (admin)' })
  async remove(@CurrentUser() admin: AuthUser, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.clients.delete(admin.id, id);
  }
}
