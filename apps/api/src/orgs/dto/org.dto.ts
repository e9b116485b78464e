import { ORG_ROLES } from '@gatehouse/orgs';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, MaxLength, NotContains } from 'class-validator';

/** The organization's name as given, but for the spaces around it; blank is refused. */
export class OrgNameDto {
  @ApiProperty({ example: 'Acme Corp', maxLength: 100 })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @NotContains('\u0000', { message: 'name must not contain NUL characters' })
  name: string;
}

/** An organization as the caller sees it, with the caller's role in it. */
export class OrgDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ enum: ORG_ROLES, description: "The caller's role" })
  role: string;
}
