import type { AuthenticationCredentialDto, ReauthenticateDto } from './api-types.js';
import { ApiError, type BearerChallenge } from './errors.js';

/**
 * A proof of who the user is, for `reauthenticate()`: the password, a code from the authenticator app, a recovery
 * code, a passkey assertion (`PublicKeyCredential.toJSON()` for `reauthenticatePasskeyOptions()`), or
 * `{ passkey: true }` to let the client ask the browser for one (`reauthenticateWithPasskey()`).
 */
export type ReauthProof =
  | { password: string }
  | { code: string }
  | { recoveryCode: string }
  | { credential: AuthenticationCredentialDto }
  | { passkey: true };

/** What `onReauthenticationRequired` is told about the route that wants a proof. */
export interface ReauthenticationRequest {
  /** The server's words (`error_description`), for the page to show. */
  reason: string;
  /** The route wants a sign-in at most this many seconds old (RFC 9470 `max_age`); absent when it wants a factor. */
  maxAge?: number;
  /**
   * True when the route wants a session with a second factor rather than a recent one: a code, a recovery code or
   * a passkey will do, the password will not.
   */
  secondFactor: boolean;
  /** 1 for the first ask; more after a refused proof, which `previousError` holds. */
  attempt: number;
  /** Why the previous proof did not work: an `ApiError` 401 from the server, or the browser's passkey refusal. */
  previousError?: Error;
}

/** Answers a proof to send, or `null` to give up (the user closed the dialog). */
export type ReauthenticationHandler = (request: ReauthenticationRequest) => Promise<ReauthProof | null>;

/** A user who cannot prove it in three tries gets the route's refusal; the server's limits count the rest. */
const MAX_PROOFS = 3;

/** Only the one field the caller chose goes on the wire. */
export function reauthenticationBody(proof: Exclude<ReauthProof, { passkey: true }>): ReauthenticateDto {
  if ('password' in proof) return { password: proof.password };
  if ('code' in proof) return { code: proof.code };
  if ('recoveryCode' in proof) return { recoveryCode: proof.recoveryCode };
  return { credential: proof.credential };
}

/** A refused proof worth asking again for: a wrong one (401), or a passkey the browser did not give. */
function mayAskAgain(error: unknown): error is Error {
  if (error instanceof ApiError) return error.status === 401 || error.status === 400;
  return error instanceof Error && (error.name === 'NotAllowedError' || error instanceof TypeError);
}

export interface StepUpOptions {
  /** The app's callback; without it, no step-up is tried. */
  handler: ReauthenticationHandler | undefined;
  /** Sends a proof and keeps the token it renews (the client's `reauthenticate()`). */
  prove: (proof: ReauthProof) => Promise<unknown>;
  /** How many tokens a proof has renewed so far, in this tab or another. */
  reauthentications: () => number;
}

/**
 * Step-up authentication (RFC 9470): a route refused a valid token because its sign-in is too old or lacks a
 * second factor. No refresh cures that (a refresh keeps the sign-in's time and factors): the user proves who they
 * are again, through the app's `onReauthenticationRequired`, and the request is retried once. Requests refused
 * together share one ask; one refused after another proof already renewed the token just retries.
 */
export class StepUp {
  #asking: Promise<boolean> | null = null;

  constructor(private readonly options: StepUpOptions) {}

  /**
   * True when the token is now good for the route (retry the request once), false to give the refusal back.
   * `reauthenticationsAtSend` is `reauthentications()` when the refused request was sent.
   */
  async cure(challenge: BearerChallenge, reauthenticationsAtSend: number): Promise<boolean> {
    if (this.options.reauthentications() !== reauthenticationsAtSend) return true;
    if (this.options.handler === undefined) return false;
    if (!this.#asking) {
      this.#asking = this.#ask(this.options.handler, challenge).finally(() => {
        this.#asking = null;
      });
    }
    return this.#asking;
  }

  async #ask(handler: ReauthenticationHandler, challenge: BearerChallenge): Promise<boolean> {
    const request: ReauthenticationRequest = {
      reason: challenge.errorDescription ?? 'this needs you to sign in again',
      secondFactor: challenge.maxAge === undefined,
      attempt: 1,
    };
    if (challenge.maxAge !== undefined) request.maxAge = challenge.maxAge;
    for (; request.attempt <= MAX_PROOFS; request.attempt += 1) {
      let proof: ReauthProof | null;
      try {
        proof = await handler({ ...request });
      } catch {
        return false; // The app's own failure: give the route's refusal back.
      }
      if (proof === null) return false;
      try {
        await this.options.prove(proof);
        return true;
      } catch (error) {
        // A wrong proof is asked again; anything else (429, an outage) ends the step-up.
        if (!mayAskAgain(error)) return false;
        request.previousError = error;
      }
    }
    return false;
  }
}
