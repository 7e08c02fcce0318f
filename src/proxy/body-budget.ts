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

  /**
   * One request's share: its declared Content-Length taken up front (undefined when that
   * does not fit), more as bytes past it arrive (`take`, the body reader's per-chunk hook).
   */
  hold(declared: number): BodyHold | undefined {
    return this.reserve(declared) ? new BodyHold(this, declared) : undefined;
  }
}

export class BodyHold {
  private seen = 0;
  private released = false;

  constructor(private readonly budget: BodyBudget, private held: number) {}

  /** Counts `bytes` more of the body; false when they pass what is held and the budget has no more. */
  take(bytes: number): boolean {
    this.seen += bytes;
    if (this.seen <= this.held) return true;
    const more = this.seen - this.held;
    if (this.released || !this.budget.reserve(more)) return false;
    this.held += more;
    return true;
  }

  /** Gives it all back; once. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.release(this.held);
  }
}
