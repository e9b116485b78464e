import { ApiResponseCodes, AuthUser, CurrentUser } from '@gatehouse/auth';
import { User, UserDto, UsersService } from '@gatehouse/users';
import { Body, Controller, Get, Patch, UnauthorizedException } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { UpdateMeDto } from './update-me.dto';

/** The smallest guarded feature: no auth code beyond @CurrentUser(); the global guard does the rest. */
@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me')
export class MeController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOkResponse({ type: UserDto })
  @ApiResponseCodes(401)
  @ApiOperation({ summary: 'The signed-in user' })
  async get(@CurrentUser() caller: AuthUser): Promise<UserDto> {
    return UserDto.from(await this.load(caller));
  }

  @Patch()
  @ApiOkResponse({ type: UserDto })
  @ApiResponseCodes(400, 401)
  @ApiOperation({ summary: "Update the signed-in user's profile" })
  async update(@CurrentUser() caller: AuthUser, @Body() body: UpdateMeDto): Promise<UserDto> {
    const user = await this.users.updateProfile(caller.id, { displayName: body.displayName });
    if (!user) throw new UnauthorizedException();
    return UserDto.from(user);
  }

  private async load(caller: AuthUser): Promise<User> {
    const user = await this.users.findById(caller.id);
    if (!user) throw new UnauthorizedException();
    return user;
  }
}
