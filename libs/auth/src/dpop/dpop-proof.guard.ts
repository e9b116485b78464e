import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyReply, FastifyRequest } from 'fastify';
import { PROOF_KEY } from '../decorators/request-properties';
import { SecurityEvents } from '../security-events';
import { DpopProofError } from './dpop-proof';
import { DpopRefusal } from './dpop-refusal';
import { DpopVerifier } from './dpop-verifier';

const DPOP_STAGE = 'gatehouse:dpop-stage';
type Stage = 'start' | 'session';

/** A route that starts a session: a valid proof binds it; with DPOP=required, none is a 400. */
export const BindsSession = () => SetMetadata(DPOP_STAGE, 'start' satisfies Stage);
/** A route that takes the refresh token (refresh, logout): a bound session needs its key's proof. */
export const ProvesSession = () => SetMetadata(DPOP_STAGE, 'session' satisfies Stage);

type ProvingRequest = FastifyRequest & { [PROOF_KEY]?: string };

/**
 * Checks the `DPoP` header of a session-starting or refresh-token route, when there is one, and leaves the
 * thumbprint of its key on the request (read through @RequestClient()). Whether the session needs it is the
 * session's business (the sign-in function binds, the rotation compares); this only says whose key signed.
 */
@Injectable()
export class DpopProofGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: DpopVerifier,
    private readonly events: SecurityEvents,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.verifier.mode === 'off') return true;
    const stage = this.reflector.get<Stage | undefined>(DPOP_STAGE, context.getHandler()) ?? 'session';
    const http = context.switchToHttp();
    const request = http.getRequest<ProvingRequest>();
    const status = stage === 'start' ? 400 : 401;
    try {
      const proof = this.verifier.proofOf(request);
      if (proof === undefined) {
        if (stage === 'start' && this.verifier.mode === 'required') {
          throw new DpopProofError('proof_required');
        }
        return true;
      }
      request[PROOF_KEY] = await this.verifier.verify(request, proof);
    } catch (error) {
      if (!(error instanceof DpopProofError)) throw error;
      this.events.record('dpop.refused', {
        reason: error.reason,
        route: request.routeOptions.url,
        ip: request.ip,
      });
      throw new DpopRefusal(
        status,
        error.code,
        'the DPoP proof is missing or invalid',
        this.verifier.nonce(),
      );
    }
    const nonce = this.verifier.nonce();
    if (nonce) void http.getResponse<FastifyReply>().header('DPoP-Nonce', nonce);
    return true;
  }
}
