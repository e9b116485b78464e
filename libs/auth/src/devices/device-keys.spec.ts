import { agentKey, cookieKey, networkOf } from './device-keys';

describe('networkOf', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['::ffff:203.0.113.77', '203.0.113.0/24'],
    ['::FFFF:203.0.113.9', '203.0.113.0/24'],
    ['2001:db8:85a3:1:2:3:4:5', '2001:db8:85a3::/48'],
    ['2001:0DB8:0000:ffff::1', '2001:db8:0::/48'],
    ['2001:db8::1', '2001:db8:0::/48'],
    ['::1', '0:0:0::/48'],
    ['fe80::1%eth0', 'fe80:0:0::/48'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0::/48'],
  ])('%s is in %s', (ip, network) => {
    expect(networkOf(ip)).toBe(network);
  });

  it.each([undefined, '', 'not an address', '300.1.1.1'])('%p is an unknown network', (ip) => {
    expect(networkOf(ip)).toBe('unknown');
  });
});

describe('device keys', () => {
  it('are the same for one user agent on one network, and differ otherwise', () => {
    const key = agentKey('Firefox', '198.51.100.7');
    expect(agentKey('Firefox', '198.51.100.200').hash).toEqual(key.hash);
    expect(agentKey('Firefox', '198.51.101.7').hash).not.toEqual(key.hash);
    expect(agentKey('Chrome', '198.51.100.7').hash).not.toEqual(key.hash);
    expect(key.kind).toBe('agent');
  });

  it('keep a SHA-256 of the device cookie, never the cookie', () => {
    const cookie = 'q'.repeat(43);
    const key = cookieKey(cookie);
    expect(key).toMatchObject({ kind: 'cookie' });
    expect(key.hash).toHaveLength(32);
    expect(key.hash.toString('utf8')).not.toContain(cookie);
  });
});
