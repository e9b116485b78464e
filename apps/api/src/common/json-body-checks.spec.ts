import { MAX_BODY_DEPTH, jsonBodyFault } from './json-body-checks';

function nestedArrays(depth: number): unknown {
  return JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
}

describe('jsonBodyFault', () => {
  it('accepts the bodies the routes define, at the depth they nest', () => {
    expect(jsonBodyFault(undefined)).toBeUndefined();
    expect(jsonBodyFault({ email: 'ada@example.com', password: 'é 👩‍👩‍👧 ﬁ' })).toBeUndefined();
    expect(jsonBodyFault({ credential: { response: { transports: ['usb'] } } })).toBeUndefined();
    expect(jsonBodyFault(nestedArrays(MAX_BODY_DEPTH))).toBeUndefined();
  });

  it('refuses nesting one level past the limit, and 100,000 levels without overflowing the stack', () => {
    expect(jsonBodyFault(nestedArrays(MAX_BODY_DEPTH + 1))).toMatch(/nests deeper than 32 levels/);
    expect(jsonBodyFault(nestedArrays(100_000))).toMatch(/nests deeper/);
    expect(jsonBodyFault(JSON.parse(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`))).toMatch(
      /nests deeper/,
    );
  });

  it('refuses a lone surrogate in any string or key, however deep', () => {
    expect(jsonBodyFault(JSON.parse('{"email":"\\ud800"}'))).toMatch(/not valid Unicode/);
    expect(jsonBodyFault(JSON.parse('{"a":[{"b":"x\\udfffy"}]}'))).toMatch(/not valid Unicode/);
    expect(jsonBodyFault(JSON.parse('{"\\ud800":1}'))).toMatch(/not valid Unicode/);
    expect(jsonBodyFault(JSON.parse('{"pair":"\\ud83d\\ude00"}'))).toBeUndefined();
  });
});
