import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { KeySource } from './app-config';
import { parseDuration } from './duration';

export type Env = Record<string, string | undefined>;

/** Reads variables one by one, remembering every problem so a single start reports them all. */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name)?.trim() ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const value = Number(text.trim());
    if (!Number.isInteger(value) || value < min || value > max) {
      return this.fail(name, `must be a whole number from ${min} to ${max}`, fallback);
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const text = this.raw(name)?.trim().toLowerCase();
    if (text === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
    return this.fail(name, 'must be true or false', fallback);
  }

  duration(name: string, fallback: number, min = 1, max = Infinity): number {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const seconds = parseDuration(text);
    if (seconds === undefined || seconds < min || seconds > max) {
      const range = max === Infinity ? `of at least ${min}s` : `from ${min}s to ${max}s`;
      return this.fail(
        name,
        `must be a duration ${range}, in seconds ("900") or as "15m", "12h", "7d"`,
        fallback,
      );
    }
    return seconds;
  }

  /** A URL that `new URL` accepts, with one of the given schemes and an authority (`scheme://`). */
  url(name: string, schemes: readonly string[], requireHost: boolean): string | undefined {
    const text = this.raw(name)?.trim();
    if (text === undefined) return undefined;
    const expected = `must be a ${schemes.map((scheme) => `${scheme}//`).join(' or ')} URL`;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return this.fail(name, expected, undefined);
    }
    // `postgres:/db` parses, but it has no host part: a typo, never what was meant.
    if (!schemes.includes(url.protocol) || !text.slice(url.protocol.length).startsWith('//')) {
      return this.fail(name, expected, undefined);
    }
    if (requireHost && url.hostname === '') return this.fail(name, `${expected} with a host`, undefined);
    return text;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const text = this.raw(name)?.trim().toLowerCase();
    if (text === undefined) return fallback;
    if ((allowed as readonly string[]).includes(text)) return text as T;
    return this.fail(name, `must be one of ${allowed.join(', ')}`, fallback);
  }

  /** A PEM or secret given inline as NAME or as a path in NAME_FILE (not both). */
  keySource(name: string): KeySource | undefined {
    const inline = this.raw(name);
    const path = this.raw(`${name}_FILE`);
    if (inline !== undefined && path !== undefined) {
      return this.fail(name, `set either ${name} or ${name}_FILE, not both`, undefined);
    }
    if (inline !== undefined) return { variable: name, pem: inline.replace(/\\n/g, '\n') };
    if (path === undefined) return undefined;
    try {
      return { variable: `${name}_FILE`, pem: readFileSync(resolve(path), 'utf8') };
    } catch {
      return this.fail(`${name}_FILE`, `cannot read the file ${path}`, undefined);
    }
  }

  fail<T>(name: string, why: string, fallback: T): T {
    this.problems.push(`${name} ${why}`);
    return fallback;
  }
}
