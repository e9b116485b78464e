import { applyDecorators, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { FastifyRequest } from 'fastify';
import { PROOF_KEY } from '../decorators/request-properties';

/** How a sign-in's refresh token travels: the HttpOnly cookie, or (a native client's bound session) the body. */
export type RefreshTokenDelivery = 'cookie' | 'body';

/** Whether a request shows what only browsers send: a page's script can never be given a refresh token. */
export function looksLikeBrowser(request: FastifyRequest): boolean {
  return request.headers.origin !== undefined || request.headers['sec-fetch-site'] !== undefined;
}

/**
 * `body` for a session-starting request that asks for it (`refreshTokenInBody: true`), carries a verified DPoP
 * proof (so the session is bound: the token is worth nothing away from the key) and does not look like a
 * browser's; `cookie` otherwise.
 */
export const RefreshTokenDeliveryOf = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RefreshTokenDelivery => {
    const request = context.switchToHttp().getRequest<FastifyRequest & { [PROOF_KEY]?: string }>();
    const asked = (request.body as { refreshTokenInBody?: unknown } | undefined)?.refreshTokenInBody === true;
    return asked && request[PROOF_KEY] !== undefined && !looksLikeBrowser(request) ? 'body' : 'cookie';
  },
);

/** The optional field of a session-starting body that asks for the refresh token in the answer. */
export const RefreshTokenInBodyField = () =>
  applyDecorators(
    ApiPropertyOptional({
      description:
        'A native client (no cookies) with a DPoP proof: answer the refresh token in the body instead of a cookie. Ignored for a request that looks like a browser’s, or without a proof.',
    }),
    IsOptional(),
    IsBoolean(),
  );
