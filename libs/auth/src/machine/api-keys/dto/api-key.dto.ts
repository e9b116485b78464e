import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** An API key as its owner sees it in a list: never the key itself. */
export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({
    example: 'gat_Zm9vYmFy',
    description: 'The first characters of the key, to tell keys apart',
  })
  prefix: string;

  @ApiProperty({ type: [String] })
  scopes: string[];

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The organization the key acts within; absent: the key acts as you, in no organization',
  })
  organizationId?: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'null: the key does not expire',
  })
  expiresAt: Date | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the key was last used, to the minute',
  })
  lastUsedAt: Date | null;
}

/** The answer to creating a key: the only time the key is ever shown. */
export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ example: 'gat_3q2-7wEXAMPLEq0sN7vJ1tQy8mZk4p9Rf2bHc6dLxWu', description: 'Shown this once' })
  key: string;
}
