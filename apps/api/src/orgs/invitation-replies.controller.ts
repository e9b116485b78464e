import { ApiResponseCodes, AuthUser, CurrentUser } from '@gatehouse/auth';
import { Invitations } from '@gatehouse/orgs';
import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { InvitationTokenDto } from './dto/invitation.dto';
import { OrgDto } from './dto/org.dto';

/**
 * The invited person's answer, signed in with the invited address, verified. The front end reads the token from
 * the link's fragment and POSTs it: opening the link (as mail scanners do) changes nothing.
 */
@ApiTags('orgs')
@ApiBearerAuth()
@ApiResponseCodes(401)
@Controller('invitations')
export class InvitationRepliesController {
  constructor(private readonly invitations: Invitations) {}

  @Post('accept')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: OrgDto, description: 'The caller is a member now, with the invitation’s role' })
  @ApiForbiddenResponse({
    description: 'The caller’s address is not the invited one, or not verified (the invitation stays usable)',
  })
  @ApiNotFoundResponse({ description: 'Unknown, expired, used, declined or withdrawn: one answer for all' })
  @ApiConflictResponse({ description: 'The caller is a member already (the invitation stays usable)' })
  @ApiResponseCodes(400)
  @ApiOperation({ summary: 'Accept an invitation to an organization' })
  async accept(@CurrentUser() caller: AuthUser, @Body() body: InvitationTokenDto): Promise<OrgDto> {
    return { ...(await this.invitations.accept(caller.id, body.token)) };
  }

  @Post('decline')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Declined: the invitation no longer works' })
  @ApiForbiddenResponse({ description: 'The caller’s address is not the invited one, or not verified' })
  @ApiNotFoundResponse({ description: 'Unknown, expired, used, declined or withdrawn: one answer for all' })
  @ApiResponseCodes(400)
  @ApiOperation({ summary: 'Decline an invitation to an organization' })
  async decline(@CurrentUser() caller: AuthUser, @Body() body: InvitationTokenDto): Promise<void> {
    await this.invitations.decline(caller.id, body.token);
  }
}
