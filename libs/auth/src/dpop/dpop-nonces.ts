import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { KeyService } from '../keys/key.service';

const STEP_SECONDS = 60;
/** A nonce is accepted in the step it was made and the four after: up to five minutes. */
const STEPS_ACCEPTED = 5;

/**
 * Stateless server nonces (RFC 9449 §8): the time step and an HMAC of it under a key derived from the refresh
 * secret, so every instance that shares the keys makes and accepts the same nonces, with nothing stored.
 */
@Injectable()
export class DpopNonces {
  private readonly key: Buffer;

  constructor(keys: KeyService) {
    this.key = keys.derivedKey('dpop nonce');
  }

  /** The nonce of the current step. */
  current(now = Date.now()): string {
    return this.nonceFor(Math.floor(now / 1000 / STEP_SECONDS));
  }

  isValid(nonce: unknown, now = Date.now()): boolean {
    if (typeof nonce !== 'string' || nonce.length > 64) return false;
    const bytes = Buffer.from(nonce, 'base64url');
    if (bytes.length !== 24) return false;
    const step = Number(bytes.readBigUInt64BE(0));
    const current = Math.floor(now / 1000 / STEP_SECONDS);
    if (step > current || step <= current - STEPS_ACCEPTED) return false;
    return timingSafeEqual(bytes.subarray(8), this.mac(step));
  }

  private nonceFor(step: number): string {
    const stepBytes = Buffer.alloc(8);
    stepBytes.writeBigUInt64BE(BigInt(step));
    return Buffer.concat([stepBytes, this.mac(step)]).toString('base64url');
  }

  private mac(step: number): Buffer {
    return createHmac('sha256', this.key).update(`step:${step}`).digest().subarray(0, 16);
  }
}
