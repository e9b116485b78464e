import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const IS_PUBLIC = 'gatehouse:public';

/** Marks a public operation in the OpenAPI document; `documentPublicRoutes` turns it into `security: []`. */
export const OPENAPI_PUBLIC_MARK = 'x-gatehouse-public';

/**
 * Opts one route out of the global bearer-token guard. Routes only, never a whole controller: a route added
 * to that controller later would be public before its author thought about it. Keep public routes on
 * controllers of their own, beside guarded ones only where every route is marked.
 */
export const Public = (): MethodDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(OPENAPI_PUBLIC_MARK, true));
