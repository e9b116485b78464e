import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { DeviceKeyKind } from './entities/known-device.entity';

/** What identifies a device to an account, as stored: the kind and the SHA-256, never the material itself. */
export interface DeviceKey {
  readonly kind: DeviceKeyKind;
  readonly hash: Buffer;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The eight groups of an IPv6 address, as numbers (`::` expanded, a trailing dotted IPv4 part made two groups). */
function ipv6Groups(address: string): number[] {
  let text = address.replace(/%.*$/, '').toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) =>
    part ? part.split(':').map((group) => parseInt(group, 16)) : [];
  const front = parse(head);
  const back = parse(tail);
  const zeros = tail === undefined ? [] : new Array<number>(8 - front.length - back.length).fill(0);
  return [...front, ...zeros, ...back];
}

/**
 * The network a client's address belongs to, as far as a home or office connection goes: the IPv4 /24 or the
 * IPv6 /48 (an IPv4 address written as IPv6, `::ffff:a.b.c.d`, counts as IPv4). Its next address, after a
 * router's restart, is most often in the same one.
 */
export function networkOf(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const v4 = ip.toLowerCase().startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  if (isIPv6(ip)) {
    const groups = ipv6Groups(ip);
    return `${groups
      .slice(0, 3)
      .map((group) => group.toString(16))
      .join(':')}::/48`;
  }
  return 'unknown';
}

/** A browser's key: its device cookie (32 random bytes: nothing to guess, so a plain hash will do). */
export function cookieKey(deviceCookie: string): DeviceKey {
  return { kind: 'cookie', hash: sha256(deviceCookie) };
}

/** A client without cookies is known by its user agent and its network, nothing else (no fingerprint). */
export function agentKey(userAgent: string | undefined, ip: string | undefined): DeviceKey {
  // A header value holds no line break, so the two parts cannot run into each other.
  return { kind: 'agent', hash: sha256(`${userAgent ?? ''}\n${networkOf(ip)}`) };
}
