import { ApiResponseCodes, AuthUser, CurrentUser, InActiveOrg, RequirePermission } from '@gatehouse/auth';
import { Members } from '@gatehouse/orgs';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
} from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { MemberDto, MemberRoleDto } from './dto/member.dto';

/**
 * The members of the caller's active organization. Any member lists them; changing a role takes
 * `members:update`, removing another `members:remove`, and anyone may leave. The organization always keeps an
 * owner (409 otherwise). A change stops the member's access tokens that claim the old role, on every instance.
 */
@ApiTags('orgs')
@ApiBearerAuth()
@ApiResponseCodes(401, 403)
@Controller('orgs/:id/members')
export class MembersController {
  constructor(private readonly members: Members) {}

  @Get()
  @InActiveOrg()
  @ApiOkResponse({ type: [MemberDto], description: 'Oldest member first' })
  @ApiResponseCodes(400, 404)
  @ApiOperation({ summary: 'List the members of the active organization' })
  list(@CurrentUser() caller: AuthUser, @Param('id', new ParseUUIDPipe()) id: string): Promise<MemberDto[]> {
    return this.members.list(caller.id, id);
  }

  @Patch(':userId')
  @RequirePermission('members:update')
  @ApiOkResponse({ type: MemberDto })
  @ApiResponseCodes(400, 404, 409)
  @ApiOperation({ summary: "Change a member's role (members:update; an owner's only by an owner)" })
  changeRole(
    @CurrentUser() caller: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('userId', new ParseUUIDPipe()) userId: string,
    @Body() body: MemberRoleDto,
  ): Promise<MemberDto> {
    return this.members.changeRole(caller.id, id, userId, body.role);
  }

  @Delete(':userId')
  @InActiveOrg()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'The membership has ended' })
  @ApiResponseCodes(400, 404, 409)
  @ApiOperation({ summary: 'Remove a member (members:remove), or leave (yourself)' })
  async remove(
    @CurrentUser() caller: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('userId', new ParseUUIDPipe()) userId: string,
  ): Promise<void> {
    await this.members.remove(caller.id, id, userId);
  }
}
