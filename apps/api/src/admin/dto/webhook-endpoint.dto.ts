import {
  CreatedWebhookEndpoint,
  WEBHOOK_EVENTS,
  WEBHOOK_URL_MAX_LENGTH,
  WebhookEndpointView,
  WebhookEvent,
  webhookUrlProblem,
} from '@gatehouse/audit';
import { ApiProperty } from '@nestjs/swagger';
import { ArrayNotEmpty, ArrayUnique, IsArray, IsIn, IsString, MaxLength, ValidateBy } from 'class-validator';

/** The URL's shape; whether it must be `https` depends on NODE_ENV, which the endpoints service checks. */
const IsWebhookUrl = () =>
  ValidateBy({
    name: 'isWebhookUrl',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && webhookUrlProblem(value, false) === undefined,
      defaultMessage: (args) =>
        (typeof args?.value === 'string' && webhookUrlProblem(args.value, false)) ||
        'url must be an absolute http or https URL',
    },
  });

export class CreateWebhookEndpointDto {
  @ApiProperty({
    example: 'https://hooks.example.com/gatehouse',
    maxLength: WEBHOOK_URL_MAX_LENGTH,
    description:
      'Where deliveries are POSTed: an absolute http(s) URL without credentials; https in production',
  })
  @IsString()
  @MaxLength(WEBHOOK_URL_MAX_LENGTH)
  @IsWebhookUrl()
  url: string;

  @ApiProperty({
    enum: WEBHOOK_EVENTS,
    isArray: true,
    minItems: 1,
    uniqueItems: true,
    description: 'The events delivered to it, each once',
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENTS, {
    each: true,
    message: `each value in events must be one of ${WEBHOOK_EVENTS.join(', ')}`,
  })
  events: WebhookEvent[];
}

/** An endpoint as the list and the read show it: never its secret. */
export class WebhookEndpointDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'https://hooks.example.com/gatehouse' })
  url: string;

  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true })
  events: WebhookEvent[];

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  static from(endpoint: WebhookEndpointView): WebhookEndpointDto {
    return { id: endpoint.id, url: endpoint.url, events: endpoint.events, createdAt: endpoint.createdAt };
  }
}

export class WebhookEndpointPageDto {
  @ApiProperty({ type: [WebhookEndpointDto] })
  items: WebhookEndpointDto[];
}

/** The answer to making an endpoint: the only time its signing secret is ever shown. */
export class CreatedWebhookEndpointDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'https://hooks.example.com/gatehouse' })
  url: string;

  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true })
  events: WebhookEvent[];

  @ApiProperty({
    example: 'whsec_YW4gZXhhbXBsZSBzZWNyZXQsIDMyIGJ5dGVzIGxvbmc=',
    description: 'The signing secret (Standard Webhooks): shown this once',
  })
  secret: string;

  static from(endpoint: CreatedWebhookEndpoint): CreatedWebhookEndpointDto {
    return { id: endpoint.id, url: endpoint.url, events: endpoint.events, secret: endpoint.secret };
  }
}
