import { AppConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { DpopProofError } from '../../dpop/dpop-proof';
import { DpopVerifier } from '../../dpop/dpop-verifier';
import { SecurityEvents } from '../../security-events';
import { TokenSigner } from '../../tokens/token-signer';
import { isDeclaredScope } from '../scopes';
import { ClientTokenDto } from './dto/client-token.dto';
import { AuthenticatedClient, ServiceClients } from './service-clients.service';
import { TokenEndpointError } from './token-endpoint-error';
import { TokenRequest } from './token-request';

/**
 * Issues a service client its access token (RFC 6749 §4.4): the client authenticated, the scopes checked
 * against what it was granted, and the token bound to the key of the request's DPoP proof when it carries one
 * (RFC 9449 §5), as the session-starting routes bind sessions: DPOP=off ignores proofs, DPOP=required demands one.
 */
@Injectable()
export class ClientCredentialsGrant {
  constructor(
    private readonly config: AppConfig,
    private readonly clients: ServiceClients,
    private readonly signer: TokenSigner,
    private readonly dpop: DpopVerifier,
    private readonly events: SecurityEvents,
  ) {}

  async issue(token: TokenRequest, request: FastifyRequest, reply: FastifyReply): Promise<ClientTokenDto> {
    const client = await this.clients.authenticate(token.clientId, token.clientSecret);
    if (!client) {
      this.events.record('client.auth_failed', {
        // The id is public, but a form value may be anything: only one of ours is worth a log line.
        clientId: /^[\w-]{1,64}$/.test(token.clientId) ? token.clientId : undefined,
        method: token.authMethod,
        ip: request.ip,
      });
      throw new TokenEndpointError('invalid_client', 'client authentication failed');
    }
    const scopes = grantedScopes(client, token.scopes);
    const jkt = await this.proofKey(request, client);
    const nonce = this.dpop.nonce();
    void reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    if (nonce) void reply.header('DPoP-Nonce', nonce);
    return {
      access_token: this.signer.signClientToken(client.clientId, scopes, jkt),
      token_type: jkt ? 'DPoP' : 'Bearer',
      expires_in: this.config.tokens.clientTokenTtl,
      scope: scopes.join(' '),
    };
  }

  /** The thumbprint of the request's proof key, when it carries a valid proof and DPoP is on. */
  private async proofKey(request: FastifyRequest, client: AuthenticatedClient): Promise<string | undefined> {
    if (this.dpop.mode === 'off') return undefined;
    try {
      const proof = this.dpop.proofOf(request);
      if (proof === undefined) {
        if (this.dpop.mode === 'required') throw new DpopProofError('proof_required');
        return undefined;
      }
      return await this.dpop.verify(request, proof);
    } catch (error) {
      if (!(error instanceof DpopProofError)) throw error;
      this.events.record('dpop.refused', {
        reason: error.reason,
        route: request.routeOptions.url,
        clientId: client.clientId,
        ip: request.ip,
      });
      const nonce = this.dpop.nonce();
      throw new TokenEndpointError(
        error.code,
        error.code === 'use_dpop_nonce'
          ? 'the DPoP proof must carry the nonce this server gave'
          : 'the DPoP proof is missing or invalid',
        nonce ? { 'DPoP-Nonce': nonce } : {},
      );
    }
  }
}

/**
 * The scopes a token gets: those asked for, each declared and granted to the client; when none are asked for,
 * every scope the client holds that a route still declares.
 */
function grantedScopes(client: AuthenticatedClient, requested: readonly string[] | undefined): string[] {
  if (requested === undefined) {
    const held = client.scopes.filter(isDeclaredScope);
    if (held.length === 0) throw new TokenEndpointError('invalid_scope', 'the client holds no scope');
    return held;
  }
  if (requested.some((scope) => !isDeclaredScope(scope) || !client.scopes.includes(scope))) {
    throw new TokenEndpointError(
      'invalid_scope',
      'a requested scope is unknown or not granted to this client',
    );
  }
  return [...requested];
}
