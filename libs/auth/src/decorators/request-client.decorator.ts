import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { readDeviceCookie } from '../cookies/device-cookie';
import type { ClientInfo } from '../tokens/token.service';
import { PROOF_KEY } from './request-properties';

/**
 * The client a session is started for: its address (after TRUST_PROXY) and user agent, as a session records them,
 * the key of the DPoP proof it carried, when DpopProofGuard verified one, and the device cookie it came with.
 */
export const RequestClient = createParamDecorator((_data: unknown, context: ExecutionContext): ClientInfo => {
  const request = context.switchToHttp().getRequest<FastifyRequest & { [PROOF_KEY]?: string }>();
  return {
    ip: request.ip,
    userAgent: request.headers['user-agent'],
    proofKey: request[PROOF_KEY],
    deviceCookie: readDeviceCookie(request),
  };
});
