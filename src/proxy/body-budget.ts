/**
 * The bytes of request bodies the proxy holds at once, across all requests. SigV4 signs
 * a hash of the whole body, so each is buffered before it goes upstream; without a cap,
 * ten concurrent 90 MiB uploads hold 900 MiB. A request whose body would pass the budget
 * is answered 503 with Retry-After instead.
 */
export class BodyBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  get inFlight(): number {
    return this.held;
  }

  /** Takes `bytes` from the budget; false (and nothing taken) when they do not fit. */
  reserve(bytes: number): boolean {
    if (this.held + bytes > this.limit) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }
}
