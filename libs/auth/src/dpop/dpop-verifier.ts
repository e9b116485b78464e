import { AppConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { checkProof, DpopProofError } from './dpop-proof';
import { DpopNonces } from './dpop-nonces';
import { ProofReplayCache } from './proof-replay-cache';

/**
 * Checks the `DPoP` header of a request against the request itself, with no database read: the proof (see
 * checkProof), its URL as reached through PUBLIC_URL (behind a proxy the Host header says something else), the
 * server's nonce when DPOP_NONCES is on, and a `jti` never seen before within the proof's lifetime.
 */
@Injectable()
export class DpopVerifier {
  private readonly origin: string;

  constructor(
    private readonly config: AppConfig,
    private readonly nonces: DpopNonces,
    private readonly replays: ProofReplayCache,
  ) {
    this.origin = new URL(config.urls.publicUrl).origin;
  }

  get mode(): AppConfig['dpop']['mode'] {
    return this.config.dpop.mode;
  }

  /** The request's one proof, or undefined; a repeated header is refused (RFC 9449 §4.3, check 1). */
  proofOf(request: FastifyRequest): string | undefined {
    const header = request.headers.dpop;
    if (header === undefined) return undefined;
    if (Array.isArray(header) || header.includes(',')) throw new DpopProofError('more_than_one_proof');
    return header;
  }

  /** The thumbprint of the key that signed the request's proof; throws a DpopProofError when it does not hold. */
  async verify(request: FastifyRequest, proof: string, accessToken?: string): Promise<string> {
    const { proofMaxAge, nonces } = this.config.dpop;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const path = request.url.split(/[?#]/, 1)[0];
    const checked = checkProof(proof, {
      method: request.method,
      url: `${this.origin}${path}`,
      accessToken,
      maxAge: proofMaxAge,
      nowSeconds,
      nonceIsValid: nonces ? (nonce) => this.nonces.isValid(nonce) : undefined,
    });
    // Remembered as long as its iat keeps it acceptable, and a second more.
    const ttlMs = (checked.iat + proofMaxAge - nowSeconds + 1) * 1000;
    if (!(await this.replays.firstUse(checked.jkt, checked.jti, Math.max(1000, ttlMs)))) {
      throw new DpopProofError('replayed_jti');
    }
    return checked.jkt;
  }

  /** A fresh nonce to hand the client when nonces are on. */
  nonce(): string | undefined {
    return this.config.dpop.nonces ? this.nonces.current() : undefined;
  }
}
