import { BadRequestException, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { FastifyRequest } from 'fastify';

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
    if (typeof organizationId === 'string' && isUUID(organizationId)) return organizationId.toLowerCase();
    throw new BadRequestException('organizationId must be an organization’s id (a UUID) or null');
  },
);
