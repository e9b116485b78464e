import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { FastifyRequest } from 'fastify';
import { SIGN_IN_PROOF } from '../decorators/request-properties';
import { LoginDto } from '../dto/login.dto';
import { InputValidationPipe } from '../validation/input-validation';

// The app's global pipe. Guards run before pipes, so the body is checked here first.
const loginBody = new InputValidationPipe();

/** Validates the login body (400 for a malformed one), then checks the credentials with the local strategy. */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    await loginBody.transform(request.body, { type: 'body', metatype: LoginDto });
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
