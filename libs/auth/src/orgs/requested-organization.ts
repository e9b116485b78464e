import { BadRequestException, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The organization a refresh asks to make active: `{organizationId}` in the body, null to leave it, undefined
 * (no such property, or no body) to keep the session's. Anything else is a 400, before the token is touched.
 */
export const RequestedOrganization = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | null | undefined => {
    const body = context.switchToHttp().getRequest<FastifyRequest>().body;
    if (body === null || typeof body !== 'object' || !('organizationId' in body)) return undefined;
    const { organizationId } = body;
    if (organizationId === null) return null;
    if (typeof organizationId === 'string' && UUID.test(organizationId)) return organizationId.toLowerCase();
    throw new BadRequestException('organizationId must be an organization’s id (a UUID) or null');
  },
);
