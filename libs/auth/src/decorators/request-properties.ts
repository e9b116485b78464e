import { createParamDecorator, ExecutionContext, UnauthorizedException } from '@nestjs/common';
import type { SignInProof } from '../sign-in/sign-in.service';
import { RefreshClaims } from '../tokens/token-types';

/**
 * Where each guard leaves what it established, one property each, so a handler can never read one guard's
 * result typed as another's: `user` (JwtAuthGuard: the bearer's AuthUser), `signInProof` (a way in's SignInProofGuard),
 * `refreshClaims` (RefreshGuard, OptionalRefreshGuard), `dpopProofKey` (DpopProofGuard).
 */
export const SIGN_IN_PROOF = 'signInProof';
export const REFRESH_CLAIMS = 'refreshClaims';
/** The JWK thumbprint of the verified DPoP proof the request carried (DpopProofGuard). */
export const PROOF_KEY = 'dpopProofKey';

function fromRequest<T>(context: ExecutionContext, property: string): T | undefined {
  return context.switchToHttp().getRequest<Record<string, T | undefined>>()[property];
}

/** What the login guard proved: the user whose password was just verified. */
export const ProvenSignIn = createParamDecorator((_data: unknown, context: ExecutionContext): SignInProof => {
  const proof = fromRequest<SignInProof>(context, SIGN_IN_PROOF);
  if (!proof) throw new UnauthorizedException();
  return proof;
});

/** The verified refresh cookie's claims, or undefined (only behind OptionalRefreshGuard). */
export const RefreshCookieClaims = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RefreshClaims | undefined =>
    fromRequest<RefreshClaims>(context, REFRESH_CLAIMS),
);
