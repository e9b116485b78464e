import { VerifiedTokenCache } from './verified-token-cache';

describe('VerifiedTokenCache', () => {
  const user = { id: 'u', sessionId: 's', roles: ['user'], amr: ['pwd' as const], authTime: 0 };

  it('returns a verified token until its expiry, then forgets it', () => {
    const cache = new VerifiedTokenCache();
    cache.set('fresh', user, Date.now() + 60_000);
    cache.set('stale', user, Date.now() - 1);
    expect(cache.get('fresh')).toBe(user);
    expect(cache.get('stale')).toBeUndefined();
    expect(cache.get('unknown')).toBeUndefined();
  });

  it('counts a lookup that found a live entry as a hit, and an expired or unknown one as a miss', () => {
    const cache = new VerifiedTokenCache();
    cache.set('fresh', user, Date.now() + 60_000);
    cache.set('stale', user, Date.now() - 1);
    cache.get('fresh');
    cache.get('fresh');
    cache.get('stale');
    cache.get('unknown');
    expect({ hits: cache.hits, misses: cache.misses, size: cache.size }).toEqual({
      hits: 2,
      misses: 2,
      size: 1,
    });
  });

  it('stays bounded by dropping the oldest entry', () => {
    const cache = new VerifiedTokenCache();
    for (let i = 0; i <= 50_000; i++) cache.set(`t${i}`, user, Date.now() + 60_000);
    expect(cache.get('t0')).toBeUndefined();
    expect(cache.get('t1')).toBe(user);
    expect(cache.get('t50000')).toBe(user);
  });
});
