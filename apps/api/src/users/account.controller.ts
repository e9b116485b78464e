import {
  AccountDeletion,
  ApiResponseCodes,
  AuthUser,
  ClientInfo,
  CurrentUser,
  ErrorDto,
  RefreshCookie,
  RequestClient,
  RequireRecentSignIn,
} from '@gatehouse/auth';
import { UserData, UserDataExport } from '@gatehouse/users';
import { Controller, Delete, Get, HttpCode, HttpStatus, Res, UnauthorizedException } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';

const TOO_OLD =
  'No valid access token, or a sign-in older than REAUTH_MAX_AGE (WWW-Authenticate: Bearer error="insufficient_user_authentication", max_age=…)';

/**
 * The account as a whole: its export and its deletion, both for the owner only, with a recent sign-in. Neither
 * declares a scope, so no API key or service client reaches them.
 */
@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me')
export class AccountController {
  constructor(
    private readonly userData: UserData,
    private readonly deletion: AccountDeletion,
    private readonly cookie: RefreshCookie,
  ) {}

  @Get('export')
  @RequireRecentSignIn()
  @ApiOkResponse({
    description:
      'Everything stored about the caller, as a file: the profile as `user`, then each kind of data under its ' +
      'name (sessions, identities, passkeys, totp, recoveryCodes, apiKeys, activity, memberships, notes, …). No ' +
      'secret, hash or key, and nothing about other users.',
    schema: {
      type: 'object',
      required: ['exportedAt', 'user'],
      properties: {
        exportedAt: { type: 'string', format: 'date-time' },
        user: { type: 'object', additionalProperties: true },
      },
      additionalProperties: true,
    },
    headers: {
      'Content-Disposition': {
        description: 'attachment; filename="gatehouse-export-<date>.json"',
        schema: { type: 'string' },
      },
      'Cache-Control': { description: 'no-store', schema: { type: 'string' } },
    },
  })
  @ApiUnauthorizedResponse({ type: ErrorDto, description: TOO_OLD })
  @ApiResponseCodes(403)
  @ApiOperation({ summary: "Export the caller's data" })
  async export(
    @CurrentUser() caller: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserDataExport> {
    const exported = await this.userData.export(caller.id);
    if (!exported) throw new UnauthorizedException();
    reply.header('Cache-Control', 'no-store');
    reply.header(
      'Content-Disposition',
      `attachment; filename="gatehouse-export-${exported.exportedAt.slice(0, 10)}.json"`,
    );
    return exported;
  }

  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequireRecentSignIn()
  @ApiNoContentResponse({
    description:
      'The account and everything it held are gone: every session revoked (the refresh cookie cleared), a last ' +
      'notice to its address, a user.deleted webhook; its history keeps only ids and event types',
  })
  @ApiConflictResponse({
    type: ErrorDto,
    description:
      'The last owner of an organization that has other members, or the last enabled administrator',
  })
  @ApiUnauthorizedResponse({ type: ErrorDto, description: TOO_OLD })
  @ApiResponseCodes(403)
  @ApiOperation({ summary: "Delete the caller's account" })
  async delete(
    @CurrentUser() caller: AuthUser,
    @RequestClient() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.deletion.deleteOwn(caller, client);
    this.cookie.clear(reply);
  }
}
