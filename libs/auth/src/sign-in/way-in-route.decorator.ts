import { applyDecorators, HttpCode, HttpStatus, Type, UseGuards } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApiResponseCodes } from '../decorators/api-errors.decorator';
import { Public } from '../decorators/public.decorator';
import { BindsSession, DpopProofGuard } from '../dpop/dpop-proof.guard';
import { MfaRequiredDto, TokenResponseDto } from '../dto/token-response.dto';
import { SameOriginGuard } from '../guards/same-origin.guard';
import { SignInProofGuard } from '../guards/sign-in-proof.guard';
import { RateLimit } from '../throttling/rate-limit.decorator';

/** What the OpenAPI document says of a way in's route besides what every one of them shares. */
export interface WayInDocs {
  readonly summary: string;
  /** The one `401` the strategy answers, whatever it was that failed. */
  readonly unauthorized: string;
  /** The body's extra words beside the shared answer. */
  readonly ok?: string;
}

/**
 * The route of a way in whose passport strategy proves who the user is from a body: public, `200`, the login
 * limits (per client address and per address in the body), a cross-site request refused before the credential
 * is tried (login CSRF), then a DPoP proof (which binds the session it starts), then the strategy; in the
 * OpenAPI document, the body and login's answer. The handler reads `@ProvenSignIn()` and hands the proof to
 * the sign-in function.
 */
export function WayInRoute(strategy: string, body: Type<object>, docs: WayInDocs): MethodDecorator {
  return applyDecorators(
    Public(),
    HttpCode(HttpStatus.OK),
    RateLimit('login'),
    BindsSession(),
    UseGuards(SameOriginGuard, DpopProofGuard, SignInProofGuard(strategy, body)),
    ApiBody({ type: body }),
    ApiExtraModels(TokenResponseDto, MfaRequiredDto),
    ApiOkResponse({
      schema: { oneOf: [{ $ref: getSchemaPath(TokenResponseDto) }, { $ref: getSchemaPath(MfaRequiredDto) }] },
      description: [
        'Tokens, with the HttpOnly refresh cookie set; or, with the second factor on, an mfa challenge and no cookie',
        docs.ok,
      ]
        .filter(Boolean)
        .join('. '),
    }),
    ApiUnauthorizedResponse({ description: docs.unauthorized }),
    ApiForbiddenResponse({
      description: 'Account disabled (answered only to a right credential), or a cross-site request',
    }),
    ApiResponseCodes(400, 429),
    ApiOperation({ summary: docs.summary }),
  );
}
