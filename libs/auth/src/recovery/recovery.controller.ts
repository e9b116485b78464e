import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiResponseCodes } from '../decorators/api-errors.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { Public } from '../decorators/public.decorator';
import { RateLimit } from '../throttling/rate-limit.decorator';
import { AuthUser } from '../tokens/token-types';
import { AcceptedDto, EmailTokenDto, ForgotPasswordDto, ResetPasswordDto } from './dto/recovery.dto';
import { RecoveryService } from './recovery.service';

const ACCEPTED: AcceptedDto = { status: 'accepted' };

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
  async forgotPassword(@Body() body: ForgotPasswordDto): Promise<AcceptedDto> {
    await this.recovery.forgotPassword(body.email);
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
  @ApiResponseCodes(429)
  async resetPassword(@Body() body: ResetPasswordDto): Promise<void> {
    await this.recovery.resetPassword(body.token, body.newPassword);
  }
}
