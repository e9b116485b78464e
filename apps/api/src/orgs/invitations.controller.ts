import { ApiResponseCodes, AuthUser, CurrentUser, RateLimit, RequirePermission } from '@gatehouse/auth';
import { InvitationView, Invitations } from '@gatehouse/orgs';
import {
  Body,
  Controller,
  Delete,
  Get,
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
import { InvitationDto, InviteDto } from './dto/invitation.dto';

const INVITE = 'members:invite';

const dtoOf = (view: InvitationView): InvitationDto => ({
  ...view,
  invitedBy: view.invitedBy && { ...view.invitedBy },
});

/**
 * An organization's invitations, for its members who hold `members:invite` (owners and admins), with the
 * organization active in their token. The token read from it lets the request in; each change checks the role
 * again in the database, under the organization's lock. The invitation's token goes out in the mail only.
 */
@ApiTags('orgs')
@ApiBearerAuth()
@ApiResponseCodes(401)
@Controller('orgs/:id/invitations')
export class InvitationsController {
  constructor(private readonly invitations: Invitations) {}

  @Post()
  @RequirePermission(INVITE)
  // A mail to an address someone typed: counted per inviting user, and per invited address as the other
  // mail-sending routes are.
  @RateLimit('invite')
  @ApiCreatedResponse({
    type: InvitationDto,
    description:
      'Invited: a mail with a one-time link is on its way; an earlier invitation of the address ends',
  })
  @ApiResponseCodes(400, 404, 409, 429)
  @ApiOperation({ summary: 'Invite an address to the organization with a role' })
  async invite(
    @CurrentUser() caller: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: InviteDto,
  ): Promise<InvitationDto> {
    return dtoOf(await this.invitations.invite(caller.id, id, body.email, body.role));
  }

  @Get()
  @RequirePermission(INVITE)
  @ApiOkResponse({ type: [InvitationDto], description: 'The pending invitations, oldest first' })
  @ApiResponseCodes(400, 404)
  @ApiOperation({ summary: "List the organization's pending invitations" })
  async list(
    @CurrentUser() caller: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<InvitationDto[]> {
    return (await this.invitations.listPending(caller.id, id)).map(dtoOf);
  }

  @Delete(':invitationId')
  @RequirePermission(INVITE)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Withdrawn: its link no longer works' })
  @ApiResponseCodes(400, 404)
  @ApiOperation({ summary: 'Withdraw a pending invitation' })
  async revoke(
    @CurrentUser() caller: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('invitationId', new ParseUUIDPipe()) invitationId: string,
  ): Promise<void> {
    await this.invitations.revoke(caller.id, id, invitationId);
  }
}
