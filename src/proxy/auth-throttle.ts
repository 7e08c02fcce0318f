/**
 * Failed inbound-credential attempts, bounded per client address: a human-chosen
 * --basic-auth password on --listen 0.0.0.0 would otherwise take thousands of guesses a
 * second on one connection. After `limit` failures from one address within `windowMs`, that
 * address is told to wait until its oldest failure leaves the window, and its requests are
 * not compared meanwhile. A success resets nothing: behind one NAT address, a user's good
 * request must not buy an attacker's next guesses. The table is capped; past it the address
 * failing least recently is forgotten first.
 */
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
