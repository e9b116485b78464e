import { SetMetadata } from '@nestjs/common';
import { DECORATORS } from '@nestjs/swagger';

export const IS_PUBLIC = 'gatehouse:public';

/**
 * Opts one route out of the global bearer-token guard. Routes only, never a whole controller: a route added
 * to that controller later would be public before its author thought about it. Keep public routes on
 * controllers of their own, beside guarded ones only where every route is marked.
 *
 * OpenAPI says the same: the document requires the bearer token globally, and a public route gets
 * `security: []`, unless it names another scheme (the refresh cookie), which then stays its only one.
 */
export const Public = (): MethodDecorator => (target, key, descriptor) => {
  SetMetadata(IS_PUBLIC, true)(target, key, descriptor);
  const handler = descriptor.value as object;
  if (!Reflect.hasMetadata(DECORATORS.API_SECURITY, handler)) {
    Reflect.defineMetadata(DECORATORS.API_SECURITY, [], handler);
  }
  return descriptor;
};
