import { Injectable } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { SecurityEvents } from '../security-events';
import { PresentedToken } from '../strategies/bearer-token';
import { DpopProofError } from './dpop-proof';
import { DpopRefusal } from './dpop-refusal';
import { DpopVerifier } from './dpop-verifier';

/**
 * The resource-server half of RFC 9449 (§7): a token bound to a key (`cnf.jkt`) is accepted only as
 * `Authorization: DPoP <token>` with a proof by that key naming this request and this token (`ath`); sent as
 * `Bearer` it is refused (no downgrade), and an unbound token is never taken as DPoP. Export it to verify
 * Gatehouse's bound tokens in another Nest service the same way.
 */
@Injectable()
export class SenderConstraint {
  constructor(
    private readonly verifier: DpopVerifier,
    private readonly events: SecurityEvents,
  ) {}

  /** Throws a 401 DpopRefusal unless the request proves possession of `jkt` (undefined: an unbound token). */
  async check(
    request: FastifyRequest,
    presented: PresentedToken,
    jkt: string | undefined,
    reply?: FastifyReply,
  ): Promise<void> {
    if (jkt === undefined) throw this.refuse(request, 'invalid_token', 'unbound_token_as_dpop');
    if (presented.scheme !== 'dpop') throw this.refuse(request, 'invalid_token', 'bound_token_as_bearer');
    try {
      const proof = this.verifier.proofOf(request);
      if (proof === undefined) throw new DpopProofError('no_proof');
      const signedBy = await this.verifier.verify(request, proof, presented.token);
      if (signedBy !== jkt) throw new DpopProofError('another_key');
    } catch (error) {
      if (!(error instanceof DpopProofError)) throw error;
      throw this.refuse(request, error.code, error.reason);
    }
    const nonce = this.verifier.nonce();
    if (nonce) void reply?.header('DPoP-Nonce', nonce);
  }

  private refuse(
    request: FastifyRequest,
    code: 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce',
    reason: string,
  ): DpopRefusal {
    this.events.record('dpop.refused', { reason, route: request.routeOptions.url, ip: request.ip });
    const description =
      code === 'invalid_token' ? 'the token needs its DPoP proof' : 'the DPoP proof is missing or invalid';
    return new DpopRefusal(401, code, description, this.verifier.nonce());
  }
}
