import {
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { RefreshCookie } from './cookies/refresh-cookie';
import { ApiResponseCodes } from './decorators/api-errors.decorator';
import { CurrentUser } from './decorators/current-user.decorator';
import { SessionDto } from './dto/session.dto';
import { TokenService } from './tokens/token.service';
import { AuthUser } from './tokens/token-types';

@ApiTags('auth')
@ApiBearerAuth()
@Controller('auth/sessions')
export class SessionsController {
  constructor(
    private readonly tokens: TokenService,
    private readonly cookie: RefreshCookie,
  ) {}

  @Get()
  @ApiOkResponse({ type: [SessionDto], description: 'Live sessions of the caller, most recently used first' })
  @ApiResponseCodes(401)
  @ApiOperation({ summary: "List the user's sessions" })
  async list(@CurrentUser() user: AuthUser): Promise<SessionDto[]> {
    const sessions = await this.tokens.liveSessions(user.id);
    return sessions.map((session) => SessionDto.from(session, user.sessionId));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'That session is revoked, its access tokens included' })
  @ApiResponseCodes(400, 401, 404)
  @ApiOperation({ summary: 'Revoke one session' })
  async revoke(
    @CurrentUser() user: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    if (!(await this.tokens.revokeSession(id, 'session_deleted', user.id))) {
      throw new NotFoundException('session not found');
    }
    if (id === user.sessionId) this.cookie.clear(reply);
  }
}
