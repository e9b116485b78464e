import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import type { ClientInfo } from '../tokens/token.service';
import { PROOF_KEY } from './request-properties';

/**
 * The client a session is started for: its address (after TRUST_PROXY) and user agent, as a session records them,
 * and the key of the DPoP proof it carried, when DpopProofGuard verified one.
 */
export const RequestClient = createParamDecorator((_data: unknown, context: ExecutionContext): ClientInfo => {
  const request = context.switchToHttp().getRequest<FastifyRequest & { [PROOF_KEY]?: string }>();
  return { ip: request.ip, userAgent: request.headers['user-agent'], proofKey: request[PROOF_KEY] };
});
