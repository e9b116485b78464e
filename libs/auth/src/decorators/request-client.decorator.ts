import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import type { ClientInfo } from '../tokens/token.service';

/** The client a session is started for: its address (after TRUST_PROXY) and user agent, as a session records them. */
export const RequestClient = createParamDecorator((_data: unknown, context: ExecutionContext): ClientInfo => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  return { ip: request.ip, userAgent: request.headers['user-agent'] };
});
