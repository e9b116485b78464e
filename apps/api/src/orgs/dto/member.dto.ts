import { ORG_ROLES } from '@gatehouse/orgs';
import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';

/** A member of the organization. */
export class MemberDto {
  @ApiProperty({ format: 'uuid' })
  userId: string;

  @ApiProperty({ format: 'email' })
  email: string;

  @ApiProperty({ enum: ORG_ROLES })
  role: string;

  @ApiProperty({ type: String, format: 'date-time' })
  joinedAt: Date;
}

export class MemberRoleDto {
  @ApiProperty({ enum: ORG_ROLES, description: 'Only an owner makes or unmakes an owner' })
  @IsIn(ORG_ROLES)
  role: string;
}
