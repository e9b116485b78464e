import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'gatehouse:public';

/**
 * Opts one route out of the global bearer-token guard. Routes only, never a whole controller: a route added
 * to that controller later would be public before its author thought about it. Keep public routes on
 * controllers of their own, beside guarded ones only where every route is marked.
 */
export const Public = (): MethodDecorator => SetMetadata(IS_PUBLIC, true);
