import { ExecutionContext, Type } from '@nestjs/common';

type Handler = (...args: never[]) => unknown;

/**
 * What a global guard reads from a route's decorators, worked out on the route's first request and kept: the
 * decorators cannot change while the app runs, and reading them again cost every request a walk of the
 * metadata of the handler and its controller.
 */
export class PerRoute<T> {
  private readonly byController = new WeakMap<Type, WeakMap<Handler, T>>();

  constructor(readonly read: (handler: Handler, controller: Type) => T) {}

  of(context: ExecutionContext): T {
    const controller = context.getClass();
    const handler = context.getHandler() as Handler;
    let handlers = this.byController.get(controller);
    if (!handlers) this.byController.set(controller, (handlers = new WeakMap()));
    if (handlers.has(handler)) return handlers.get(handler)!;
    const value = this.read(handler, controller);
    handlers.set(handler, value);
    return value;
  }
}
