import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  NotContains,
} from 'class-validator';
import { ScopeListField } from '../../scope-list';

/** Ten years: long enough for any planned key, short enough that `now + expiresIn` stays a sane date. */
export const MAX_API_KEY_LIFETIME = 10 * 366 * 86400;

export class CreateApiKeyDto {
  @ApiProperty({ example: 'CI: nightly export', maxLength: 100 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @NotContains('\u0000', { message: 'name must not contain NUL characters' })
  name: string;

  @ScopeListField('What the key may do; routes outside these scopes answer 403')
  scopes: string[];

  @ApiPropertyOptional({
    description: 'Seconds until the key stops working; none: it does not expire',
    minimum: 1,
    maximum: MAX_API_KEY_LIFETIME,
    example: 7776000,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_API_KEY_LIFETIME)
  expiresIn?: number;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'Make the key in this organization (it must be your active one): the key acts within it, with your role there, and ends with your membership',
  })
  @IsOptional()
  @IsUUID()
  organizationId?: string;
}
