import { UserDto } from '@gatehouse/users';
import {
  Body,
  Controller,
  HttpCode,
  HttpStatus,
  Post,
  Res,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBadRequestResponse,
  ApiBody,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { AuthService } from './auth.service';
import { RecoveryService } from './recovery/recovery.service';
import { RefreshCookie } from './cookies/refresh-cookie';
import { ApiResponseCodes } from './decorators/api-errors.decorator';
import { CurrentUser } from './decorators/current-user.decorator';
import { ProvenSignIn, RefreshCookieClaims } from './decorators/request-properties';
import { Public } from './decorators/public.decorator';
import { RequestClient } from './decorators/request-client.decorator';
import { ChangePasswordDto } from './dto/change-password.dto';
import { LoginDto } from './dto/login.dto';
import { RefreshBodyDto, RefreshTokenBodyDto } from './dto/refresh-token-body.dto';
import { RequestedOrganization } from './orgs/requested-organization';
import { RefreshTokenDelivery, RefreshTokenDeliveryOf } from './dpop/native-client';
import { RegisterDto } from './dto/register.dto';
import { MfaRequiredDto, TokenResponseDto } from './dto/token-response.dto';
import { OptionalRefreshGuard, RefreshGuard } from './guards/refresh.guard';
import { SameOriginGuard } from './guards/same-origin.guard';
import { DpopProofGuard, ProvesSession } from './dpop/dpop-proof.guard';
import { SignInResponse } from './sign-in/sign-in-response';
import { WayInRoute } from './sign-in/way-in-route.decorator';
import { SignInProof } from './sign-in/sign-in.service';
import { RateLimit } from './throttling/rate-limit.decorator';
import { ClientInfo } from './tokens/token.service';
import { AuthUser, RefreshClaims } from './tokens/token-types';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly recovery: RecoveryService,
    private readonly cookie: RefreshCookie,
    private readonly response: SignInResponse,
  ) {}

  @Public()
  @Post('register')
  @RateLimit('register')
  @UseGuards(SameOriginGuard)
  @ApiCreatedResponse({ type: UserDto, description: 'The new user' })
  @ApiForbiddenResponse({ description: 'Cross-site request' })
  @ApiResponseCodes(400, 409, 429)
  @ApiOperation({ summary: 'Create an account' })
  async register(@Body() body: RegisterDto, @RequestClient() client: ClientInfo): Promise<UserDto> {
    // The user, the verification email, the history's first entry and the webhooks are stored together.
    return UserDto.from(await this.recovery.register(body, client));
  }

  @Post('login')
  @WayInRoute('local', LoginDto, {
    summary: 'Log in with email and password',
    unauthorized: 'Unknown email or wrong password (one message for both)',
  })
  async login(
    @ProvenSignIn() proof: SignInProof,
    @RequestClient() client: ClientInfo,
    @RefreshTokenDeliveryOf() delivery: RefreshTokenDelivery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto | MfaRequiredDto> {
    return this.response.send(reply, await this.auth.login(proof, client), delivery);
  }

  @Public()
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @RateLimit('refresh')
  @ProvesSession()
  @UseGuards(SameOriginGuard, RefreshGuard, DpopProofGuard)
  @ApiCookieAuth('refresh_token')
  @ApiBody({ type: RefreshBodyDto, required: false })
  @ApiOkResponse({
    type: TokenResponseDto,
    description: 'Sets the rotated refresh cookie (a native client’s bound session: the token in the body)',
  })
  @ApiUnauthorizedResponse({
    description: 'Missing, invalid, expired, revoked or reused token; clears the cookie',
  })
  @ApiBadRequestResponse({ description: 'organizationId is neither a UUID nor null' })
  @ApiForbiddenResponse({
    description:
      'Cross-site request, or an organization the caller is not a member of (the token stays good)',
  })
  @ApiResponseCodes(429, 503)
  @ApiOperation({
    summary: 'Rotate the refresh cookie for a new access token',
    description:
      'With `{organizationId}` the session makes that organization active (null: none); the access token carries `org: {id, role, permissions}`, re-read at every refresh',
  })
  async refresh(
    @RefreshCookieClaims() claims: RefreshClaims,
    @RequestClient() client: ClientInfo,
    @RequestedOrganization() organization: string | null | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    const issued = await this.auth.refresh(claims, client, organization);
    if (!issued) {
      this.cookie.clear(reply);
      throw new UnauthorizedException('refresh token is no longer valid');
    }
    return this.response.sendTokens(reply, issued, claims.source === 'body' ? 'body' : 'cookie');
  }

  @Public()
  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ProvesSession()
  @UseGuards(SameOriginGuard, OptionalRefreshGuard, DpopProofGuard)
  @ApiCookieAuth('refresh_token')
  @ApiBody({ type: RefreshTokenBodyDto, required: false })
  @ApiNoContentResponse({ description: 'Session revoked (when the cookie was valid) and cookie cleared' })
  @ApiUnauthorizedResponse({ description: 'The session is bound to a DPoP key and no proof by it came' })
  @ApiForbiddenResponse({ description: 'Cross-site request' })
  @ApiOperation({ summary: 'End this session' })
  async logout(
    @RefreshCookieClaims() claims: RefreshClaims | undefined,
    @RequestClient() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.auth.logout(claims, client);
    this.cookie.clear(reply);
  }

  @Post('logout-all')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'Every session of the user revoked; cookie cleared' })
  @ApiUnauthorizedResponse()
  @ApiOperation({ summary: 'End every session of the user' })
  async logoutAll(
    @CurrentUser() user: AuthUser,
    @RequestClient() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.auth.logoutAll(user, client);
    this.cookie.clear(reply);
  }

  @Post('password')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'Password changed; every other session revoked' })
  @ApiForbiddenResponse({ description: 'Current password is wrong' })
  @ApiResponseCodes(400, 401, 429)
  @ApiOperation({ summary: 'Change the password' })
  async changePassword(
    @CurrentUser() user: AuthUser,
    @Body() body: ChangePasswordDto,
    @RequestClient() client: ClientInfo,
  ): Promise<void> {
    await this.auth.changePassword(user, body.currentPassword, body.newPassword, client);
  }
}
