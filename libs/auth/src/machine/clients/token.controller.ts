import { Controller, HttpCode, HttpStatus, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ApiResponseCodes } from '../../decorators/api-errors.decorator';
import { Public } from '../../decorators/public.decorator';
import { ClientCredentialsGrant } from './client-credentials-grant';
import { ClientTokenDto, ClientTokenRequestDto, TokenErrorDto } from './dto/client-token.dto';
import { TokenEndpointError } from './token-endpoint-error';
import { FORM_MEDIA_TYPE, isFormMediaType, parseTokenRequest } from './token-request';

/**
 * The OAuth 2.0 token endpoint, for the client-credentials grant only. Public (the client authenticates in the
 * request itself) and throttled as every public route is. The one route whose body is a form, as RFC 6749
 * demands; the app's body check lets a form through to this route only, and refuses any other body here with
 * RFC 6749's `invalid_request`.
 */
@ApiTags('service-clients')
@Controller('oauth')
export class TokenController {
  constructor(private readonly grant: ClientCredentialsGrant) {}

  @Public()
  @Post('token')
  @HttpCode(HttpStatus.OK)
  @ApiConsumes(FORM_MEDIA_TYPE)
  @ApiBody({ type: ClientTokenRequestDto })
  @ApiHeader({
    name: 'DPoP',
    required: false,
    description: 'A DPoP proof (RFC 9449): the token is then bound to its key',
  })
  @ApiOkResponse({ type: ClientTokenDto, description: 'An access token for the client; never cached' })
  @ApiResponse({
    status: 400,
    type: TokenErrorDto,
    description:
      'RFC 6749 §5.2: invalid_request, unsupported_grant_type, invalid_scope, or invalid_dpop_proof (RFC 9449)',
  })
  @ApiResponse({
    status: 401,
    type: TokenErrorDto,
    description: 'invalid_client: unknown client, wrong secret, or none given; WWW-Authenticate: Basic',
  })
  @ApiResponseCodes(413, 429)
  @ApiOperation({ summary: 'Get an access token for a service client (client credentials)' })
  token(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ClientTokenDto> {
    // The body check before any route sees to this; repeated here so that no other path to this handler matters.
    if (request.body !== undefined && !isFormMediaType(request.headers['content-type'])) {
      throw new TokenEndpointError('invalid_request', `the body must be ${FORM_MEDIA_TYPE}`);
    }
    return this.grant.issue(parseTokenRequest(request.body, request.headers.authorization), request, reply);
  }
}
