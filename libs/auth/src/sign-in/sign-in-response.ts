import { Injectable } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { DeviceCookie } from '../cookies/device-cookie';
import { RefreshCookie } from '../cookies/refresh-cookie';
import { MfaRequiredDto, TokenResponseDto } from '../dto/token-response.dto';
import { RefreshTokenDelivery } from '../dpop/native-client';
import { IssuedTokens, SignInOutcome } from './sign-in.service';

/** Second-factor methods a challenge can be answered with, as login announces them. */
const MFA_METHODS = ['totp', 'recovery_code'];

/**
 * The HTTP answer of a sign-in or a refresh, the same on every route: body, refresh cookie (and a browser's first
 * device cookie), no caching.
 */
@Injectable()
export class SignInResponse {
  constructor(
    private readonly refreshCookie: RefreshCookie,
    private readonly deviceCookie: DeviceCookie,
  ) {}

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
    this.setCookies(reply, issued);
    return issued.body;
  }

  /**
   * The cookies of a session handed to a browser: the refresh token, and the device cookie when the sign-in made
   * one (the browser came without). A provider's callback, which answers with a redirect, sets them here too.
   */
  setCookies(reply: FastifyReply, issued: IssuedTokens): void {
    this.refreshCookie.set(reply, issued.refresh.token, issued.refresh.expiresAt);
    if (issued.deviceCookie) this.deviceCookie.set(reply, issued.deviceCookie);
  }
}
