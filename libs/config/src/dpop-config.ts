import { EnvReader } from './env-reader';

export const DPOP_MODES = ['optional', 'required', 'off'] as const;
export type DpopMode = (typeof DPOP_MODES)[number];

/** Sender-constrained tokens (RFC 9449). */
export interface DpopSettings {
  /** DPOP: `optional` binds a session whose sign-in carries a proof; `required` refuses one without; `off` ignores proofs. */
  readonly mode: DpopMode;
  /** DPOP_PROOF_MAX_AGE: how far a proof's `iat` may be from the server's clock, in seconds. */
  readonly proofMaxAge: number;
  /** DPOP_NONCES: the server demands a nonce of its own in every proof (RFC 9449 §8–9). */
  readonly nonces: boolean;
}

export function readDpop(env: EnvReader): DpopSettings {
  return {
    mode: env.oneOf('DPOP', DPOP_MODES, 'optional'),
    proofMaxAge: env.duration('DPOP_PROOF_MAX_AGE', 60, 1, 600),
    nonces: env.boolean('DPOP_NONCES', false),
  };
}
