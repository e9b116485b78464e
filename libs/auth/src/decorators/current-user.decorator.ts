import { createParamDecorator, ExecutionContext, UnauthorizedException } from '@nestjs/common';
import { AuthUser } from '../tokens/token-types';

/** The caller of a guarded route, as its credential says: a user, an API key or a service client. */
export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext): AuthUser => {
  const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
  if (!user) throw new UnauthorizedException();
  return user;
});

/**
 * The user a guarded route acts for: a user's own session, or an API key acting for its user. A service client
 * has no user; ScopeGuard keeps it away from every route that reads this, and this refuses it again rather than
 * hand a client id to code that expects a user's.
 */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthUser => {
  const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
  if (!user || user.credential?.kind === 'client') throw new UnauthorizedException();
  return user;
});
