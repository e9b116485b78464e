import fc from 'fast-check';
import { RawJson } from './json-text';

/** Strings that have broken parsers, normalisers, databases and loggers before. */
const EDGE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uFEFFbom',
  '\uD800',
  '\uDFFF\uD800',
  '\uFFFF\uFFFE',
  '\u202Eevil',
  'zero\u200Bwidth',
  '👩‍👩‍👧‍👦'.repeat(50),
  'e\u0301'.repeat(2000),
  'ﬁ＠ｅｘａｍｐｌｅ．ｃｏｍ',
  '\r\n\r\nHTTP/1.1 200 OK',
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '%s%s%n%x',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  '-0',
  '1e309',
  '9'.repeat(400),
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];

/** Around the 100 KB body limit, and far beyond it. */
const LONG_LENGTHS = [256, 10_000, 99_000, 150_000, 1_100_000];

export const edgeString: fc.Arbitrary<string> = fc.constantFrom(...EDGE_STRINGS);

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: edgeString, weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 64 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 64 }), weight: 2 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom(...LONG_LENGTHS), fc.constantFrom('a', 'é', '💥', '\u0000'))
      .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length))),
    weight: 1,
  },
);

/** `[[[…]]]` or `{"a":{"a":…}}`, deep enough to overflow a recursive walker. */
export const deepNesting: fc.Arbitrary<RawJson> = fc
  .tuple(fc.constantFrom(64, 1_000, 20_000), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? new RawJson(`${'['.repeat(depth)}${']'.repeat(depth)}`)
      : new RawJson(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  );

/** A value of any JSON type, for a property that expects another one. */
export const anyJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.1),
  hostileString,
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
  deepNesting,
  fc.constant(new RawJson('{}')),
);

/** Property names that reach into prototypes or shadow what a framework adds. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    'id',
    'roles',
    'admin',
    '',
  ),
  fc.string({ unit: 'grapheme', maxLength: 16 }),
);
