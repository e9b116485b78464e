import { Injectable } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { RefreshCookie } from '../cookies/refresh-cookie';
import { MfaRequiredDto, TokenResponseDto } from '../dto/token-response.dto';
import { RefreshTokenDelivery } from '../dpop/native-client';
import { IssuedTokens, SignInOutcome } from './sign-in.service';

/** Second-factor methods a challenge can be answered with, as login announces them. */
const MFA_METHODS = ['totp', 'recovery_code'];

/** The HTTP answer of a sign-in or a refresh, the same on every route: body, refresh cookie, no caching. */
@Injectable()
export class SignInResponse {
  constructor(private readonly cookie: RefreshCookie) {}

  send(
    reply: FastifyReply,
    outcome: SignInOutcome,
    delivery: RefreshTokenDelivery = 'cookie',
  ): TokenResponseDto | MfaRequiredDto {
    if (outcome.kind === 'session') return this.sendTokens(reply, outcome.tokens, delivery);
    reply.header('Cache-Control', 'no-store');
    const { mfaToken, expiresIn } = outcome.challenge;
    return { mfaRequired: true, mfaToken, methods: [...MFA_METHODS], expiresIn };
  }

  /** The refresh token goes in the body only for a bound session whose native client asked for it. */
  sendTokens(
    reply: FastifyReply,
    issued: IssuedTokens,
    delivery: RefreshTokenDelivery = 'cookie',
  ): TokenResponseDto {
    reply.header('Cache-Control', 'no-store');
    if (delivery === 'body' && issued.body.tokenType === 'DPoP') {
      return { ...issued.body, refreshToken: issued.refresh.token };
    }
    this.cookie.set(reply, issued.refresh.token, issued.refresh.expiresAt);
    return issued.body;
  }
}
