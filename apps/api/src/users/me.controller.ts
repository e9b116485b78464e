import { Webhooks } from '@gatehouse/audit';
import { ApiResponseCodes, AuthUser, CurrentUser, defineScopes, RequiresScope } from '@gatehouse/auth';
import { User, UserDto, UsersService } from '@gatehouse/users';
import { Body, Controller, Get, Patch, UnauthorizedException } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { UpdateMeDto } from './update-me.dto';

defineScopes({
  'profile:read': 'Read your profile: email address, display name, roles',
  'profile:write': 'Change your display name',
});

/** The smallest guarded feature: no auth code beyond @CurrentUser(); the global guard does the rest. */
@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me')
export class MeController {
  constructor(
    private readonly users: UsersService,
    private readonly webhooks: Webhooks,
  ) {}

  @Get()
  @RequiresScope('profile:read')
  @ApiOkResponse({ type: UserDto })
  @ApiResponseCodes(401, 403)
  @ApiOperation({ summary: 'The signed-in user' })
  async get(@CurrentUser() caller: AuthUser): Promise<UserDto> {
    return UserDto.from(await this.load(caller));
  }

  @Patch()
  @RequiresScope('profile:write')
  @ApiOkResponse({ type: UserDto })
  @ApiResponseCodes(400, 401, 403)
  @ApiOperation({ summary: "Update the signed-in user's profile" })
  async update(@CurrentUser() caller: AuthUser, @Body() body: UpdateMeDto): Promise<UserDto> {
    const user = await this.users.updateProfile(caller.id, { displayName: body.displayName }, (db, user) =>
      this.webhooks.emit(db, 'user.updated', { ...UserDto.from(user) }),
    );
    if (!user) throw new UnauthorizedException();
    return UserDto.from(user);
  }

  private async load(caller: AuthUser): Promise<User> {
    const user = await this.users.findById(caller.id);
    if (!user) throw new UnauthorizedException();
    return user;
  }
}
