import { AppConfig } from '@gatehouse/config';
import { BadRequestException, Injectable } from '@nestjs/common';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { Argon2Queue } from './argon2-queue';
import { isCommonPassword } from './common-passwords';

export const PASSWORD_MAX_LENGTH = 128;

/** OWASP's argon2id floor: 19 MiB, two passes, one lane. */
const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 };

/** Password policy and argon2id hashing. Every computation runs off the event loop, a bounded number at once. */
@Injectable()
export class PasswordService {
  /** Read by the app's metrics: its depth, and the wait of each computation. */
  readonly queue = new Argon2Queue();
  private dummyHash?: Promise<string>;

  constructor(private readonly config: AppConfig) {}

  /** NFKC form of the password: never trimmed, truncated or case-changed. */
  normalize(password: string): string {
    return password.normalize('NFKC');
  }

  /** Why this password is refused, or undefined when the policy accepts it. */
  policyViolation(password: string): string | undefined {
    const length = [...this.normalize(password)].length;
    const min = this.config.password.minLength;
    if (length < min) return `password must be at least ${min} characters long`;
    if (length > PASSWORD_MAX_LENGTH)
      return `password must be at most ${PASSWORD_MAX_LENGTH} characters long`;
    if (isCommonPassword(this.normalize(password))) {
      return 'password is too common: it appears on a list of leaked passwords';
    }
    return undefined;
  }

  /** Throws a 400 naming the rule the password breaks. */
  assertAcceptable(password: string, field = 'password'): void {
    const violation = this.policyViolation(password);
    if (violation) throw new BadRequestException([violation.replace(/^password/, field)]);
  }

  hash(password: string): Promise<string> {
    const normalized = this.normalize(password);
    return this.queue.run(() => hash(normalized, ARGON2_OPTIONS));
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    const normalized = this.normalize(password);
    return this.queue.run(() => verify(passwordHash, normalized).catch(() => false));
  }

  /** Spends what a real verification costs, so an unknown email answers no faster than a wrong password. */
  async verifyDummy(password: string): Promise<false> {
    this.dummyHash ??= this.hash(randomBytes(24).toString('base64'));
    await this.verify(await this.dummyHash, password);
    return false;
  }

  /** True when the hash was made with weaker parameters than today's, so the next login should upgrade it. */
  needsRehash(passwordHash: string): boolean {
    const match = /^\$(argon2(?:id|i|d))\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(passwordHash);
    if (!match) return true;
    const [, algorithm, version, memory, time, lanes] = match;
    return (
      algorithm !== 'argon2id' ||
      Number(version) < 19 ||
      Number(memory) < ARGON2_OPTIONS.memoryCost ||
      Number(time) < ARGON2_OPTIONS.timeCost ||
      Number(lanes) < ARGON2_OPTIONS.parallelism
    );
  }
}
