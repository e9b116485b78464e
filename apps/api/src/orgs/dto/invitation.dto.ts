import { ORG_ROLES } from '@gatehouse/orgs';
import { EMAIL_MAX_LENGTH, normalizeEmail } from '@gatehouse/users';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Who to invite, and as what. The address is normalised as the users' addresses are. */
export class InviteDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: EMAIL_MAX_LENGTH })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeEmail(value) : value))
  @IsString()
  @MaxLength(EMAIL_MAX_LENGTH)
  @IsEmail({}, { message: 'email must be an email address' })
  email: string;

  @ApiProperty({ enum: ORG_ROLES, example: 'member', description: 'Only an owner may invite an owner' })
  @IsIn(ORG_ROLES, { message: `role must be one of: ${ORG_ROLES.join(', ')}` })
  role: string;
}

/** The token of an invitation link, as the front end read it from the fragment. */
export class InvitationTokenDto {
  @ApiProperty({
    description: 'The token from the link (after `#invitation=`)',
    example: 'q3Jx…',
    maxLength: 256,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  token: string;
}

export class InviterDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'grace@example.com' })
  email: string;
}

/** A pending invitation; its token is in the mail only, never in an answer. */
export class InvitationDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ada@example.com', description: 'The invited address' })
  email: string;

  @ApiProperty({ enum: ORG_ROLES, description: 'The role the invitation gives' })
  role: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  expiresAt: Date;

  @ApiProperty({
    type: () => InviterDto,
    nullable: true,
    description: 'Who sent it; null once their account is gone',
  })
  invitedBy: InviterDto | null;
}
