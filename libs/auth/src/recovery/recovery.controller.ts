import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ApiResponseCodes } from '../decorators/api-errors.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { Public } from '../decorators/public.decorator';
import { RateLimit } from '../throttling/rate-limit.decorator';
import { RequestClient } from '../decorators/request-client.decorator';
import { ClientInfo } from '../tokens/token.service';
import { AuthUser } from '../tokens/token-types';
import {
  ACCEPTED,
  AcceptedDto,
  ChangeEmailDto,
  EmailTokenDto,
  ForgotPasswordDto,
  ResetPasswordDto,
} from './dto/recovery.dto';
import { RecoveryService } from './recovery.service';

/**
 * The routes of the email links. The front end consumes a link with a POST only: a GET of a link (which mail
 * scanners fetch) reaches the page, never these routes, and changes nothing.
 */
@ApiTags('auth')
@Controller('auth')
export class RecoveryController {
  constructor(private readonly recovery: RecoveryService) {}

  @Public()
  @Post('verify-email')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'The address is verified' })
  @ApiBadRequestResponse({ description: 'Unknown, used, expired or another purpose’s token' })
  @ApiResponseCodes(429)
  @ApiOperation({ summary: 'Verify the email address with a link token' })
  async verifyEmail(@Body() body: EmailTokenDto): Promise<void> {
    await this.recovery.verifyEmail(body.token);
  }

  @Post('verify-email/resend')
  @HttpCode(HttpStatus.ACCEPTED)
  @RateLimit('recovery')
  @ApiBearerAuth()
  @ApiAcceptedResponse({
    type: AcceptedDto,
    description: 'A fresh link is on its way; earlier ones stop working',
  })
  @ApiConflictResponse({ description: 'The address is already verified' })
  @ApiResponseCodes(401, 429)
  @ApiOperation({ summary: 'Send a new verification link' })
  async resendVerification(@CurrentUser() caller: AuthUser): Promise<AcceptedDto> {
    await this.recovery.resendVerification(caller);
    return ACCEPTED;
  }

  @Public()
  @Post('password/forgot')
  @HttpCode(HttpStatus.ACCEPTED)
  @RateLimit('recovery')
  @ApiAcceptedResponse({
    type: AcceptedDto,
    description: 'The same answer whether or not the account exists; a reset link is sent only when it does',
  })
  @ApiResponseCodes(400, 429)
  @ApiOperation({ summary: 'Send a password reset link' })
  forgotPassword(@Body() body: ForgotPasswordDto): AcceptedDto {
    // Answered before any work: a known and an unknown address must take the same time.
    this.recovery.forgotPasswordLater(body.email);
    return ACCEPTED;
  }

  @Public()
  @Post('password/reset')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({
    description:
      'New password set, every session revoked, address verified, a notice sent; no session started',
  })
  @ApiBadRequestResponse({
    description: 'A bad token (unchanged), or a password the policy refuses (token kept)',
  })
  @ApiUnauthorizedResponse({
    description: 'The second factor is on and no valid code or recovery code came (token kept)',
  })
  @ApiResponseCodes(409, 429)
  @ApiOperation({ summary: 'Set a new password with a reset token' })
  async resetPassword(@Body() body: ResetPasswordDto, @RequestClient() client: ClientInfo): Promise<void> {
    await this.recovery.resetPassword(
      body.token,
      body.newPassword,
      { code: body.code, recoveryCode: body.recoveryCode },
      client,
    );
  }

  @Public()
  @Post('confirm-email')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({
    description: 'The new address is the user’s, verified; every other session of the user revoked',
  })
  @ApiBadRequestResponse({ description: 'Unknown, used, expired or another purpose’s token' })
  @ApiConflictResponse({ description: 'The address was taken meanwhile (the link stays usable)' })
  @ApiResponseCodes(429)
  @ApiOperation({ summary: 'Move the account to a new address with a link token' })
  async confirmEmail(@Body() body: EmailTokenDto, @RequestClient() client: ClientInfo): Promise<void> {
    await this.recovery.confirmEmailChange(body.token, client);
  }
}

/** Changing the address of the caller's account: a link to the new address, confirmed by `confirm-email`. */
@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me/email')
export class EmailChangeController {
  constructor(private readonly recovery: RecoveryService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @RateLimit('recovery')
  @ApiAcceptedResponse({
    type: AcceptedDto,
    description: 'A link to the new address and a notice to the old one; nothing changes yet',
  })
  @ApiForbiddenResponse({ description: 'Current password is wrong' })
  @ApiConflictResponse({ description: 'The address belongs to an account already' })
  @ApiResponseCodes(400, 401, 429)
  @ApiOperation({ summary: 'Ask to change the email address' })
  async requestChange(@CurrentUser() caller: AuthUser, @Body() body: ChangeEmailDto): Promise<AcceptedDto> {
    await this.recovery.requestEmailChange(caller, body.newEmail, body.currentPassword);
    return ACCEPTED;
  }
}
