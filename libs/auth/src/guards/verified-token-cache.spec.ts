import { VerifiedTokenCache } from './verified-token-cache';

describe('VerifiedTokenCache', () => {
  const user = { id: 'u', sessionId: 's', roles: ['user'], amr: ['pwd' as const] };

  it('returns a verified token until its expiry, then forgets it', () => {
    const cache = new VerifiedTokenCache();
    cache.set('fresh', user, Date.now() + 60_000);
    cache.set('stale', user, Date.now() - 1);
    expect(cache.get('fresh')).toBe(user);
    expect(cache.get('stale')).toBeUndefined();
    expect(cache.get('unknown')).toBeUndefined();
  });

  it('stays bounded by dropping the oldest entry', () => {
    const cache = new VerifiedTokenCache();
    for (let i = 0; i <= 50_000; i++) cache.set(`t${i}`, user, Date.now() + 60_000);
    expect(cache.get('t0')).toBeUndefined();
    expect(cache.get('t1')).toBe(user);
    expect(cache.get('t50000')).toBe(user);
  });
});
