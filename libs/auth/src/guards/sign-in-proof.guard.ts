import { ExecutionContext, Injectable, mixin, Type } from '@nestjs/common';
import { AuthGuard, IAuthGuard } from '@nestjs/passport';
import { FastifyRequest } from 'fastify';
import { SIGN_IN_PROOF } from '../decorators/request-properties';
import { InputValidationPipe } from '../validation/input-validation';

// The app's global pipe. Guards run before pipes, so a way in's body is checked here first.
const bodyPipe = new InputValidationPipe();

/**
 * The guard of a way in: validates the body against the way's DTO (400 for a malformed one), then runs the
 * passport strategy that proves who the user is, and leaves its SignInProof for `@ProvenSignIn()`.
 */
export function SignInProofGuard(strategy: string, body: Type<object>): Type<IAuthGuard> {
  @Injectable()
  class ProofGuard extends AuthGuard(strategy) {
    override async canActivate(context: ExecutionContext): Promise<boolean> {
      const request = context.switchToHttp().getRequest<FastifyRequest>();
      await bodyPipe.transform(request.body, { type: 'body', metatype: body });
      return (await super.canActivate(context)) as boolean;
    }

    override getAuthenticateOptions(): { property: string } {
      return { property: SIGN_IN_PROOF };
    }

    override handleRequest<T>(error: unknown, user: T | false): T {
      if (error) throw error as Error;
      return user as T;
    }
  }
  return mixin(ProofGuard);
}
