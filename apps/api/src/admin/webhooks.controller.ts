import { WebhookEndpoints } from '@gatehouse/audit';
import { ApiResponseCodes, AuthUser, ClientInfo, CurrentUser, RequestClient, Roles } from '@gatehouse/auth';
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
import {
  CreatedWebhookEndpointDto,
  CreateWebhookEndpointDto,
  WebhookEndpointDto,
  WebhookEndpointPageDto,
} from './dto/webhook-endpoint.dto';

/** Webhook endpoints: where account events are POSTed, signed as Standard Webhooks has it (docs/webhooks.md). */
@ApiTags('admin')
@ApiBearerAuth()
@ApiResponseCodes(401, 403)
@Roles('admin')
@Controller('admin/webhooks')
export class WebhooksController {
  constructor(private readonly endpoints: WebhookEndpoints) {}

  @Post()
  @Header('Cache-Control', 'no-store')
  @ApiCreatedResponse({
    type: CreatedWebhookEndpointDto,
    description: 'The endpoint and its signing secret, shown this once',
  })
  @ApiResponseCodes(400)
  @ApiOperation({ summary: 'Add a webhook endpoint (admin)' })
  async create(
    @CurrentUser() admin: AuthUser,
    @Body() body: CreateWebhookEndpointDto,
    @RequestClient() client: ClientInfo,
  ): Promise<CreatedWebhookEndpointDto> {
    const by = { adminId: admin.id, ip: client.ip, userAgent: client.userAgent };
    return CreatedWebhookEndpointDto.from(await this.endpoints.create(by, body.url, body.events));
  }

  @Get()
  @ApiOkResponse({
    type: WebhookEndpointPageDto,
    description: 'Every endpoint, newest first, without secrets',
  })
  @ApiOperation({ summary: 'List webhook endpoints (admin)' })
  async list(): Promise<WebhookEndpointPageDto> {
    return { items: (await this.endpoints.list()).map((endpoint) => WebhookEndpointDto.from(endpoint)) };
  }

  @Get(':id')
  @ApiOkResponse({ type: WebhookEndpointDto, description: 'The endpoint, without its secret' })
  @ApiResponseCodes(400, 404)
  @ApiOperation({ summary: 'Read a webhook endpoint (admin)' })
  async read(@Param('id', new ParseUUIDPipe()) id: string): Promise<WebhookEndpointDto> {
    return WebhookEndpointDto.from(await this.endpoints.find(id));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Deleted, with every delivery it had still to receive' })
  @ApiResponseCodes(400, 404)
  @ApiOperation({ summary: 'Delete a webhook endpoint (admin)' })
  async remove(
    @CurrentUser() admin: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @RequestClient() client: ClientInfo,
  ): Promise<void> {
    await this.endpoints.remove({ adminId: admin.id, ip: client.ip, userAgent: client.userAgent }, id);
  }
}
