import { Secret, TOTP } from 'otpauth';
import { LoggedIn } from './auth-client';
import { TestApp } from './test-app';

/** RFC 6238 as the contract fixes it: HMAC-SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
const PERIOD_MS = TOTP_PERIOD_SECONDS * 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The number of the 30-second step that `at` (milliseconds) falls in. */
export function stepAt(at = Date.now()): number {
  return Math.floor(at / PERIOD_MS);
}

/** The code of the absolute step `step`. */
export function codeForStep(secret: string, step: number): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: TOTP_PERIOD_SECONDS,
    timestamp: step * PERIOD_MS,
  });
}

/** The raw bytes of a base32 secret. */
export function secretBytes(secret: string): Uint8Array {
  return Secret.fromBase32(secret).bytes;
}

/** The code an authenticator app shows now, or `offset` steps (of 30 s) before or after now. */
export function totpCode(secret: string, offset = 0): string {
  return codeForStep(secret, stepAt() + offset);
}

/** Six digits that no step from two before now to two after gives: a wrong code, whatever the clock does. */
export function wrongCode(secret: string): string {
  const near = new Set([-2, -1, 0, 1, 2].map((offset) => totpCode(secret, offset)));
  for (let candidate = Number(totpCode(secret)) + 1; ; candidate++) {
    const code = String(candidate % 1_000_000).padStart(6, '0');
    if (!near.has(code)) return code;
  }
}

/**
 * Waits, when needed, for the next step to begin, so that at least `marginMs` remain of the current one: a code
 * computed now then means the same step to the server when it arrives.
 */
export async function awayFromStepEdge(marginMs = 3000): Promise<void> {
  const left = PERIOD_MS - (Date.now() % PERIOD_MS);
  if (left < marginMs) await sleep(left + 50);
}

/**
 * An authenticator app holding one secret. Since a code is accepted only once, it hands out a code of a step it
 * has not handed out before, in rising order (the current step, then the next), and waits for the clock when
 * both are spent.
 */
export class Authenticator {
  private lastStep = Number.NEGATIVE_INFINITY;

  constructor(readonly secret: string) {}

  async nextCode(): Promise<string> {
    await awayFromStepEdge();
    while (this.lastStep >= stepAt() + 1) {
      await sleep(PERIOD_MS - (Date.now() % PERIOD_MS) + 50);
    }
    const step = Math.max(this.lastStep + 1, stepAt());
    this.lastStep = step;
    return codeForStep(this.secret, step);
  }

  /** Records that the code of `step` was used outside `nextCode`, so that it is not handed out again. */
  markUsed(step: number): void {
    this.lastStep = Math.max(this.lastStep, step);
  }
}

export interface Enrolled {
  secret: string;
  recoveryCodes: string[];
  /** The app the user scanned the secret into; its first code went to the confirmation. */
  authenticator: Authenticator;
}

/** Turns the second factor on for the signed-in user: setup, then confirm with the current code. */
export async function enrolTotp(app: TestApp, session: Pick<LoggedIn, 'accessToken'>): Promise<Enrolled> {
  const bearer = `Bearer ${session.accessToken}`;
  const setup = await app.http().post('/api/auth/mfa/totp/setup').set('Authorization', bearer);
  if (setup.status !== 200)
    throw new Error(`totp setup failed: ${setup.status} ${JSON.stringify(setup.body)}`);
  const secret = setup.body.secret as string;
  const authenticator = new Authenticator(secret);
  const confirm = await app
    .http()
    .post('/api/auth/mfa/totp/confirm')
    .set('Authorization', bearer)
    .send({ code: await authenticator.nextCode() });
  if (confirm.status !== 200)
    throw new Error(`totp confirm failed: ${confirm.status} ${JSON.stringify(confirm.body)}`);
  return { secret, recoveryCodes: confirm.body.recoveryCodes as string[], authenticator };
}
