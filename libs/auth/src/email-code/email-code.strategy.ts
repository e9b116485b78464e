import { normalizeEmail } from '@gatehouse/users';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-local';
import { SignInProof } from '../sign-in/sign-in.service';
import { EmailCodeSignIn } from './email-code-sign-in';

export const EMAIL_CODE_STRATEGY = 'email-code';

/**
 * An address and the code mailed to it: proves who the user is, nothing more (whether they may sign in is the
 * sign-in function's call). passport-local's two fields, named `email` and `code`.
 */
@Injectable()
export class EmailCodeStrategy extends PassportStrategy(Strategy, EMAIL_CODE_STRATEGY) {
  constructor(private readonly codes: EmailCodeSignIn) {
    super({ usernameField: 'email', passwordField: 'code', session: false, passReqToCallback: true });
  }

  validate(request: FastifyRequest, email: string, code: string): Promise<SignInProof> {
    return this.codes.prove(normalizeEmail(email), code, {
      ip: request.ip,
      userAgent: request.headers['user-agent'],
    });
  }
}
