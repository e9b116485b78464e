import { Injectable } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { RefreshCookie } from '../cookies/refresh-cookie';
import { MfaRequiredDto, TokenResponseDto } from '../dto/token-response.dto';
import { IssuedTokens, SignInOutcome } from './sign-in.service';

/** Second-factor methods a challenge can be answered with, as login announces them. */
const MFA_METHODS = ['totp', 'recovery_code'];

/** The HTTP answer of a sign-in or a refresh, the same on every route: body, refresh cookie, no caching. */
@Injectable()
export class SignInResponse {
  constructor(private readonly cookie: RefreshCookie) {}

  send(reply: FastifyReply, outcome: SignInOutcome): TokenResponseDto | MfaRequiredDto {
    if (outcome.kind === 'session') return this.sendTokens(reply, outcome.tokens);
    reply.header('Cache-Control', 'no-store');
    const { mfaToken, expiresIn } = outcome.challenge;
    return { mfaRequired: true, mfaToken, methods: [...MFA_METHODS], expiresIn };
  }

  sendTokens(reply: FastifyReply, issued: IssuedTokens): TokenResponseDto {
    this.cookie.set(reply, issued.refresh.token, issued.refresh.expiresAt);
    reply.header('Cache-Control', 'no-store');
    return issued.body;
  }
}
