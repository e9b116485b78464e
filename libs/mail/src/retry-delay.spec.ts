import { retryDelaySeconds } from './retry-delay';

describe('retryDelaySeconds', () => {
  it('starts at 5 s and doubles', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => retryDelaySeconds(attempt))).toEqual([5, 10, 20, 40, 80, 160]);
  });

  it('stays at 5 minutes however many attempts failed', () => {
    expect(retryDelaySeconds(7)).toBe(300);
    expect(retryDelaySeconds(1000)).toBe(300);
  });

  it('starts where DELIVERY_RETRY_FIRST says, with the same ceiling', () => {
    expect([1, 2, 3, 9, 10].map((attempt) => retryDelaySeconds(attempt, 1))).toEqual([1, 2, 4, 256, 300]);
    expect(retryDelaySeconds(1, 300)).toBe(300);
    expect(retryDelaySeconds(4, 300)).toBe(300);
  });
});
