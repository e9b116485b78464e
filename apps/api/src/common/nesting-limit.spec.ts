import { MAX_BODY_DEPTH, nestingDepth } from './nesting-limit';

function nestedArrays(depth: number): unknown {
  return JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
}

describe('nestingDepth', () => {
  it('counts objects and arrays, not scalars', () => {
    expect(nestingDepth('text')).toBe(0);
    expect(nestingDepth(null)).toBe(0);
    expect(nestingDepth({ a: 1 })).toBe(1);
    expect(nestingDepth({ credential: { response: { transports: ['usb'] } } })).toBe(4);
    expect(nestingDepth([{}, [[{}]]])).toBe(4);
  });

  it('measures a 100,000-level body without overflowing the stack, and stops just past the limit', () => {
    expect(nestingDepth(nestedArrays(100_000))).toBe(MAX_BODY_DEPTH + 1);
    expect(nestingDepth(nestedArrays(MAX_BODY_DEPTH))).toBe(MAX_BODY_DEPTH);
  });
});
