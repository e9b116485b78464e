/**
 * Diagnostics for the login storm, in the bench server only: wraps `@node-rs/argon2`'s `verify` (which
 * PasswordService calls through the module object) to measure how long each verification takes and how much of
 * the time at least one was running. A busy share well under 1 while logins queue means the argon2 slot waits
 * for the event loop between verifications; slower verifications mean the thread is short of CPU.
 */
// The module object itself, which PasswordService's named imports read at each call (not an interop copy).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const argon2 = require('@node-rs/argon2') as typeof import('@node-rs/argon2');

export interface Argon2Usage {
  verifies: number;
  meanMs: number;
  /** Share of the window during which at least one verification was running. */
  busyShare: number;
  seconds: number;
}

export class Argon2Meter {
  private running = 0;
  private busySince = 0;
  private busyMs = 0;
  private totalMs = 0;
  private verifies = 0;
  private from = performance.now();

  reset(): void {
    this.from = performance.now();
    if (this.running > 0) this.busySince = this.from;
    this.busyMs = 0;
    this.totalMs = 0;
    this.verifies = 0;
  }

  read(): Argon2Usage {
    const now = performance.now();
    const busy = this.busyMs + (this.running > 0 ? now - this.busySince : 0);
    return {
      verifies: this.verifies,
      meanMs: this.verifies ? this.totalMs / this.verifies : NaN,
      busyShare: busy / (now - this.from),
      seconds: (now - this.from) / 1000,
    };
  }

  started(): number {
    const at = performance.now();
    if (this.running++ === 0) this.busySince = at;
    return at;
  }

  finished(startedAt: number): void {
    const at = performance.now();
    this.verifies++;
    this.totalMs += at - Math.max(startedAt, this.from);
    if (--this.running === 0) this.busyMs += at - Math.max(this.busySince, this.from);
  }
}

export function installArgon2Meter(): Argon2Meter {
  const meter = new Argon2Meter();
  const module = argon2 as { verify: typeof argon2.verify };
  const original = module.verify;
  module.verify = (...args: Parameters<typeof argon2.verify>) => {
    const at = meter.started();
    const done = () => meter.finished(at);
    const result = original(...args);
    result.then(done, done);
    return result;
  };
  return meter;
}
