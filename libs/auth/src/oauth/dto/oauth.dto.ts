import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { UserIdentity } from '../entities/user-identity.entity';
import { MAX_RETURN_TO_LENGTH } from '../return-to';

/** A configured provider, for its sign-in button. */
export class ProviderDto {
  @ApiProperty({ example: 'github', description: 'The `:provider` of the routes' })
  id: string;

  @ApiProperty({ example: 'GitHub', description: 'What the button says' })
  name: string;
}

export class LinkProviderDto {
  @ApiPropertyOptional({
    example: '/account',
    description: 'A path on APP_URL to come back to (anything else becomes `/`)',
    maxLength: MAX_RETURN_TO_LENGTH,
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_RETURN_TO_LENGTH)
  returnTo?: string;
}

export class LinkUrlDto {
  @ApiProperty({
    format: 'uri',
    description:
      "Open it in this browser (it carries the cookie this response set) to attach the provider's account",
  })
  url: string;
}

/** An account at a provider that signs the caller in. */
export class IdentityDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'github' })
  provider: string;

  @ApiProperty({ type: String, nullable: true, description: 'What the provider last said the address is' })
  email: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  lastUsedAt: Date;

  static from(identity: UserIdentity): IdentityDto {
    return {
      id: identity.id,
      provider: identity.provider,
      email: identity.email,
      createdAt: identity.createdAt,
      lastUsedAt: identity.lastUsedAt,
    };
  }
}
