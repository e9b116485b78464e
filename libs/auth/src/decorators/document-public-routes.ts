import type { OpenAPIObject } from '@nestjs/swagger';
import { OPENAPI_PUBLIC_MARK } from './public.decorator';

/**
 * The document requires the bearer token globally, as the guard does; a public route gets `security: []`
 * unless it names another scheme (the refresh cookie). Done here because @nestjs/swagger drops an empty
 * `security` set by a decorator.
 */
export function documentPublicRoutes(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Record<string, unknown>[]) {
      if (typeof operation !== 'object' || operation === null || !(OPENAPI_PUBLIC_MARK in operation))
        continue;
      delete operation[OPENAPI_PUBLIC_MARK];
      operation.security ??= [];
    }
  }
  return document;
}
