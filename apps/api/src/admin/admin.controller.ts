import {
  ApiResponseCodes,
  AuthUser,
  ClientInfo,
  CurrentUser,
  ErrorDto,
  RequestClient,
  Roles,
} from '@gatehouse/auth';
import {
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { PageQueryDto } from '../common/page-query.dto';
import { AdminUsersService } from './admin-users.service';
import { AdminUserDto, AdminUserPageDto } from './dto/admin-user.dto';

/** The role-guarded sample: @Roles('admin') on the class is the only auth code here. */
@ApiTags('admin')
@ApiBearerAuth()
@ApiResponseCodes(401, 403)
@Roles('admin')
@Controller('admin/users')
export class AdminController {
  constructor(private readonly admin: AdminUsersService) {}

  @Get()
  @ApiOkResponse({ type: AdminUserPageDto, description: 'Every user, newest first' })
  @ApiResponseCodes(400)
  @ApiOperation({ summary: 'List users (admin)' })
  async list(@Query() page: PageQueryDto): Promise<AdminUserPageDto> {
    const [users, total] = await this.admin.list(page.limit, page.offset);
    return { items: users.map((user) => AdminUserDto.from(user)), total };
  }

  @Post(':id/disable')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Login blocked; every session of the user revoked' })
  @ApiConflictResponse({
    type: ErrorDto,
    description: "The caller's own account, or the last enabled administrator",
  })
  @ApiResponseCodes(400, 404)
  @ApiOperation({ summary: 'Disable a user (admin)' })
  async disable(
    @CurrentUser() admin: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @RequestClient() client: ClientInfo,
  ): Promise<void> {
    await this.admin.disable(id, admin.id, client);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({
    description:
      'The account and everything it held are gone, as DELETE /api/users/me does it: sessions revoked, a last ' +
      'notice, a user.deleted webhook',
  })
  @ApiConflictResponse({
    type: ErrorDto,
    description:
      "The caller's own account, the last enabled administrator, or the last owner of an organization with other members",
  })
  @ApiResponseCodes(400, 404)
  @ApiOperation({ summary: 'Delete a user (admin)' })
  async delete(
    @CurrentUser() admin: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @RequestClient() client: ClientInfo,
  ): Promise<void> {
    await this.admin.delete(id, admin.id, client);
  }

  @Post(':id/enable')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Login allowed again' })
  @ApiResponseCodes(400, 404)
  @ApiOperation({ summary: 'Enable a user (admin)' })
  async enable(@CurrentUser() admin: AuthUser, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.admin.enable(id, admin.id);
  }
}
