/** JSON text placed verbatim inside a generated body: nesting deeper than any object a test could build. */
export class RawJson {
  constructor(readonly text: string) {}
}

/**
 * JSON.stringify, except that a `RawJson` is written as it is and an own `__proto__` key is kept: the bodies an
 * attacker writes by hand, which `JSON.stringify` of an object literal could never produce.
 */
export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.keys(value).map(
      (key) => `${JSON.stringify(key)}:${toJsonText((value as Record<string, unknown>)[key])}`,
    );
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** An own, enumerable property, even for `__proto__`, which plain assignment would turn into a prototype change. */
export function withOwnProperty<T extends object>(target: T, key: string, value: unknown): T {
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
  return target;
}
