/**
 * Failed inbound-credential attempts, bounded per client address: a human-chosen
 * --basic-auth password on --listen 0.0.0.0 would otherwise take thousands of guesses a
 * second on one connection. After `limit` failures from one address within `windowMs`, that
 * address is told to wait until its oldest failure leaves the window, and its requests are
 * not compared meanwhile. A success resets nothing: behind one NAT address, a user's good
 * request must not buy an attacker's next guesses. The table is capped; past it the address
 * failing least recently is forgotten first.
 *
 * What counts as one address is `throttleKey`'s: an IPv6 /64 (what one host is given), an
 * IPv4-mapped address as its IPv4, all of loopback as one; and within it, failures naming the
 * expected user apart from all others, so guesses under other names lock nobody out.
 */
import { isIP } from 'node:net';

export interface AuthThrottleOptions {
  /** Failures within the window before an address waits. Default 10. */
  limit?: number;
  /** Default 60000. */
  windowMs?: number;
  /** Addresses remembered at once. Default 10000. */
  maxAddresses?: number;
  now?: () => number;
}

export class AuthThrottle {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;
  /** Per address, the times of its failures within the window, oldest first; the Map's order is the addresses' last failure. */
  private readonly failures = new Map<string, number[]>();

  constructor({ limit = 10, windowMs = 60_000, maxAddresses = 10_000, now = Date.now }: AuthThrottleOptions = {}) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.maxAddresses = maxAddresses;
    this.now = now;
  }

  /** Whole seconds until `address` may try again, or undefined when it may now. */
  retryAfter(address: string): number | undefined {
    const times = this.recent(address);
    if (times.length < this.limit) return undefined;
    return Math.max(1, Math.ceil((times[0]! + this.windowMs - this.now()) / 1000));
  }

  failed(address: string): void {
    const times = this.recent(address);
    times.push(this.now());
    // Only the last `limit` failures decide when it may try again.
    if (times.length > this.limit) times.splice(0, times.length - this.limit);
    this.failures.delete(address);
    this.failures.set(address, times);
    if (this.failures.size > this.maxAddresses) this.failures.delete(this.failures.keys().next().value as string);
  }

  /** Addresses remembered now (for tests and the bound). */
  get size(): number {
    return this.failures.size;
  }

  /** The failures of `address` still within the window (the expired ones dropped). */
  private recent(address: string): number[] {
    const times = this.failures.get(address);
    if (times === undefined) return [];
    const since = this.now() - this.windowMs;
    while (times.length > 0 && times[0]! <= since) times.shift();
    if (times.length === 0) this.failures.delete(address);
    return times;
  }
}

/** The throttle's key for a client at `address` whose attempt did (or did not) name the expected user. */
export function throttleKey(address: string, namesUser: boolean): string {
  return `${addressBlock(address)} ${namesUser ? 'user' : 'other'}`;
}

/** The block one client controls: one IPv4 address, one IPv6 /64, or loopback. */
export function addressBlock(address: string): string {
  const bare = address.replace(/%.*$/, '');
  if (isIP(bare) === 4) return bare.startsWith('127.') ? 'loopback' : bare;
  if (isIP(bare) !== 6) return address;
  const groups = ipv6Groups(bare);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return addressBlock([groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.'));
  }
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return 'loopback';
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

// The URL parser writes any valid IPv6 address in one form: hex only, the longest zero run as `::`.
function ipv6Groups(address: string): number[] {
  const [head = '', tail] = new URL(`http://[${address}]/`).hostname.slice(1, -1).split('::');
  const part = (text: string | undefined): number[] => (text ? text.split(':').map((g) => parseInt(g, 16)) : []);
  const front = part(head);
  const back = part(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}
